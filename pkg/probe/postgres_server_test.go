//go:build linux

package probe

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
)

// Linux only: the harness runs Debian's server binaries, as an unprivileged
// account when we are root, with Pdeathsig as a safety net.

// The real PostgreSQL server is started at most once per test binary, by the
// first test that needs it, and stopped by TestMain whatever the outcome.
var (
	pgOnce   sync.Once
	pgSrv    *pgServer
	pgErr    error
	pgMissed string // why no server binaries were found
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgSrv != nil && pgErr == nil {
		pgSrv.stop()
	}
	os.Exit(code)
}

// TestPostgresAgainstRealServer runs the probe against a throwaway cluster
// of the newest PostgreSQL under /usr/lib/postgresql, switching pg_hba.conf
// between the cases. Without server binaries it skips, unless
// FORCESSL_REQUIRE_POSTGRES=1 (set by CI) makes that a failure.
func TestPostgresAgainstRealServer(t *testing.T) {
	pgOnce.Do(func() { pgSrv, pgErr = startPostgres() })
	switch {
	case pgMissed != "" && os.Getenv("FORCESSL_REQUIRE_POSTGRES") == "1":
		t.Fatalf("FORCESSL_REQUIRE_POSTGRES=1 but %s (run .ci/postgres.sh)", pgMissed)
	case pgMissed != "":
		t.Skipf("skipping: %s (install Debian's postgresql package, e.g. with .ci/postgres.sh)", pgMissed)
	case pgErr != nil:
		t.Fatalf("starting PostgreSQL: %v", pgErr)
	}
	const (
		hostssl   = "hostssl all all 127.0.0.1/32 scram-sha-256\n"
		nosslRej  = "hostnossl all all 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n"
		host      = "host all all 127.0.0.1/32 scram-sha-256\n"
		elsewhere = "hostssl all all 10.0.0.0/8 scram-sha-256\n"
	)
	for _, tc := range []struct {
		name, hba, user string
		want            Verdict
		state           string
	}{
		{"hostssl only, as rds.force_ssl=1 sets", hostssl, "postgres", Enforced, "28000"},
		{"hostssl only, user that does not exist", hostssl, "no_such_user", Enforced, "28000"},
		{"hostnossl reject before host", nosslRej, "postgres", Enforced, "28000"},
		{"host, TLS optional", host, "postgres", NotEnforced, ""},
		{"no line for this client at all", elsewhere, "postgres", Inconclusive, "28000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := pgSrv.setHBA(tc.hba); err != nil {
				t.Fatal(err)
			}
			res := Probe(context.Background(), Target{Engine: Postgres, Address: pgSrv.addr, User: tc.user, ServerName: "localhost"})
			wantResult(t, res, tc.want, "")
			if res.SQLState != tc.state {
				t.Errorf("SQLState %q, want %q", res.SQLState, tc.state)
			}
			if t.Failed() {
				t.Logf("server log:\n%s", pgSrv.log.String())
			}
		})
	}
	// The probe leaves the server log as a refused client would, nothing
	// more: no protocol complaint, no connection reset. Checked at the end,
	// so a line the last backend writes later is missed, never invented.
	for _, noise := range []string{"expected SASL response", "unexpected message", "could not receive data", "unexpected EOF"} {
		if log := pgSrv.log.String(); strings.Contains(log, noise) {
			t.Errorf("server log mentions %q:\n%s", noise, log)
		}
	}
}
