// hiredis' async API asserts, and so aborts the whole host process, when a
// reply arrives that no command waits for on a context that is not
// subscribed (redisProcessCallbacks, 0.14 and 1.x alike). A Redis that
// answers out of turn, or anything else listening at its address, must not
// be able to do that: the guard refuses such a reply while hiredis builds
// it, hiredis takes that for a reader error and disconnects, and every
// command on the context fails the usual way.
#pragma once

struct redisAsyncContext;

namespace fibd_redis {

// What owns a guarded context: told on the context's event loop, just
// before hiredis disconnects.
class UnsolicitedReplyListener {
 public:
  virtual void on_unsolicited_reply(redisAsyncContext* ac) = 0;

 protected:
  ~UnsolicitedReplyListener() = default;
};

// Installs the guard on `ac`'s reply reader (once, right after connecting;
// it uses the reader's private data). ac->data must point to the
// UnsolicitedReplyListener that owns the context.
void refuse_unsolicited_replies(redisAsyncContext* ac);

}  // namespace fibd_redis
