//go:build !linux

package pgtest

import (
	"os"
	"testing"
)

// Server is a running PostgreSQL; on this platform there never is one.
type Server struct {
	Addr string
}

// Start skips the test: the harness drops privileges and relies on
// Pdeathsig, both Linux only.
func Start(t testing.TB) *Server {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s=1 but the PostgreSQL harness runs on Linux only", RequireEnv)
	}
	t.Skip("skipping: the PostgreSQL harness runs on Linux only")
	return nil
}

// SetHBA is never reached: Start skips.
func (s *Server) SetHBA(string) error { return nil }

// Log is never reached: Start skips.
func (s *Server) Log() string { return "" }
