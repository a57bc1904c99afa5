package probe

import (
	"context"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/internal/pgtest"
)

// TestPostgresAgainstRealServer runs the probe against a throwaway cluster
// of the newest PostgreSQL under /usr/lib/postgresql, switching pg_hba.conf
// between the cases. Without server binaries it skips, unless
// FORCESSL_REQUIRE_POSTGRES=1 (set by CI) makes that a failure.
func TestPostgresAgainstRealServer(t *testing.T) {
	srv := pgtest.Start(t)
	const (
		nosslRej  = "hostnossl all all 127.0.0.1/32 reject\n" + pgtest.HBAHost
		elsewhere = "hostssl all all 10.0.0.0/8 scram-sha-256\n"
	)
	for _, tc := range []struct {
		name, hba, user string
		want            Verdict
		state           string
	}{
		{"hostssl only, as rds.force_ssl=1 sets", pgtest.HBAHostSSL, pgtest.Superuser, Enforced, "28000"},
		{"hostssl only, user that does not exist", pgtest.HBAHostSSL, "no_such_user", Enforced, "28000"},
		{"hostnossl reject before host", nosslRej, pgtest.Superuser, Enforced, "28000"},
		{"host, TLS optional", pgtest.HBAHost, pgtest.Superuser, NotEnforced, ""},
		{"no line for this client at all", elsewhere, pgtest.Superuser, Inconclusive, "28000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := srv.SetHBA(tc.hba); err != nil {
				t.Fatal(err)
			}
			res := Probe(context.Background(), Target{Engine: Postgres, Address: srv.Addr, User: tc.user, ServerName: "localhost"})
			wantResult(t, res, tc.want, "")
			if res.SQLState != tc.state {
				t.Errorf("SQLState %q, want %q", res.SQLState, tc.state)
			}
			if t.Failed() {
				t.Logf("server log:\n%s", srv.Log())
			}
		})
	}
	// The probe leaves the server log as a refused client would, nothing
	// more: no protocol complaint, no connection reset. Checked at the end,
	// so a line the last backend writes later is missed, never invented.
	for _, noise := range []string{"expected SASL response", "unexpected message", "could not receive data", "unexpected EOF"} {
		if log := srv.Log(); strings.Contains(log, noise) {
			t.Errorf("server log mentions %q:\n%s", noise, log)
		}
	}
}
