package state

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// newLease is a new holding of k's lease by owner.
func newLease(k Key, owner string, period time.Duration) Lease {
	return Lease{Key: k, Owner: owner, Token: newToken(), Version: newToken(), Period: period}
}

// newToken is a random name for a holding or a renewal: never reused, so
// a condition on it cannot be met by anyone else's write.
func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
