/* An empty program that loads the shared libraries named on its command line
 * (bench/fibdbench.py passes fibd's, from ldd) and waits for a signal: its
 * idle RSS is the part of fibd's that loading those libraries costs alone. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL)) {
      fprintf(stderr, "idle-floor: %s\n", dlerror());
      return 1;
    }
  }
  puts("ready");
  fflush(stdout);
  pause();
  return 0;
}
