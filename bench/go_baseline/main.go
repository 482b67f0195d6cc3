// The Go stack fibd replaces, as an in-run baseline for `make bench`: a
// net/http server answering GET /fib/{n} with the body fibd sends, from a
// sync.Map of computed values (math/big). Standard library only.
//
//	go_baseline -listen 127.0.0.1:PORT
package main

import (
	"flag"
	"log"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

const maxN = 1000000

var cache sync.Map // uint64 n -> string digits

// fib is F(n) by fast doubling: F(2k) = F(k)(2F(k+1) - F(k)),
// F(2k+1) = F(k)^2 + F(k+1)^2.
func fib(n uint64) *big.Int {
	a, b := big.NewInt(0), big.NewInt(1)
	for bit := 63; bit >= 0; bit-- {
		t := new(big.Int).Lsh(b, 1)
		t.Sub(t, a)
		t.Mul(t, a)
		u := new(big.Int).Mul(a, a)
		u.Add(u, new(big.Int).Mul(b, b))
		a, b = t, u
		if n>>uint(bit)&1 == 1 {
			a, b = b, a.Add(a, b)
		}
	}
	return a
}

func answer(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

func handleFib(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		answer(w, http.StatusMethodNotAllowed, `{"error":"method not allowed"}`)
		return
	}
	text := strings.TrimPrefix(r.URL.Path, "/fib/")
	if text == "" || strings.TrimLeft(text, "0123456789") != "" || len(text) > 7 {
		answer(w, http.StatusBadRequest, `{"error":"n must be plain decimal digits, at most 1000000"}`)
		return
	}
	n, _ := strconv.ParseUint(text, 10, 64)
	if n > maxN {
		answer(w, http.StatusBadRequest, `{"error":"n must be plain decimal digits, at most 1000000"}`)
		return
	}
	state := "hit"
	digits, ok := cache.Load(n)
	if !ok {
		state = "miss"
		digits, _ = cache.LoadOrStore(n, fib(n).String())
	}
	w.Header().Set("X-Cache", state)
	answer(w, http.StatusOK, `{"result":`+digits.(string)+`}`)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "host:port")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/fib/", handleFib)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusOK, `{"status":"ok"}`)
	})
	log.Fatal(http.ListenAndServe(*listen, mux))
}
