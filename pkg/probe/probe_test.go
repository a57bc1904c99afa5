package probe

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forcessl/forcessl/internal/pgtest"
)

func TestExitCode(t *testing.T) {
	for v, want := range map[Verdict]int{Enforced: 0, NotEnforced: 1, Inconclusive: 3, "": 3, "bogus": 3} {
		if got := (Result{Verdict: v}).ExitCode(); got != want {
			t.Errorf("ExitCode(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestDefaultPort(t *testing.T) {
	for e, want := range map[Engine]int{SQLServer: 1433, Postgres: 5432, MySQL: 3306, MariaDB: 3306, "oracle": 0} {
		if got := DefaultPort(e); got != want {
			t.Errorf("DefaultPort(%q) = %d, want %d", e, got, want)
		}
	}
}

func TestParseEngine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Engine
		ok   bool
	}{
		{"sqlserver-ee", SQLServer, true}, {"sqlserver-se", SQLServer, true},
		{"sqlserver-ex", SQLServer, true}, {"sqlserver-web", SQLServer, true},
		{"custom-sqlserver-ee", SQLServer, true}, {"sqlserver", SQLServer, true},
		{"postgres", Postgres, true}, {"aurora-postgresql", Postgres, true},
		{"mysql", MySQL, true}, {"aurora-mysql", MySQL, true}, {"aurora", MySQL, true},
		{"mariadb", MariaDB, true}, {" MariaDB ", MariaDB, true},
		{"oracle-ee", "", false}, {"db2-se", "", false}, {"", "", false}, {"sqlserverx", "", false},
	} {
		got, ok := ParseEngine(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseEngine(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTargetDefaults(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		in                     Target
		addr, user, db, server string
	}{
		{"bare host gets the engine's port", Target{Engine: Postgres, Address: "db.example.com"}, "db.example.com:5432", "postgres", "postgres", "db.example.com"},
		{"bare IPv6 host", Target{Engine: SQLServer, Address: "::1"}, "[::1]:1433", "postgres", "postgres", "::1"},
		{"explicit values kept", Target{Engine: MySQL, Address: "10.0.0.1:3307", User: "admin", Database: "app", ServerName: "x.rds.amazonaws.com"}, "10.0.0.1:3307", "admin", "app", "x.rds.amazonaws.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withDefaults()
			if got.Address != tc.addr || got.User != tc.user || got.Database != tc.db || got.ServerName != tc.server || got.Timeout != DefaultTimeout || got.Dialer == nil {
				t.Errorf("withDefaults() = %+v", got)
			}
		})
	}
}

func TestProbeRejectsBadTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target Target
		reason string
	}{
		{"unknown engine", Target{Engine: "oracle", Address: "127.0.0.1:1521"}, "unknown engine"},
		{"no address", Target{Engine: Postgres}, "not host:port"},
		{"connection refused", Target{Engine: Postgres, Address: closedPort(t)}, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Probe(context.Background(), tc.target)
			wantResult(t, res, Inconclusive, tc.reason)
		})
	}
}

// dialerFunc lets a test stand in for the network.
type dialerFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}

func TestProbeUsesTheGivenDialer(t *testing.T) {
	var dialed string
	d := dialerFunc(func(_ context.Context, network, address string) (net.Conn, error) {
		dialed = network + " " + address
		return nil, errors.New("egress blocked by policy")
	})
	res := Probe(context.Background(), Target{Engine: SQLServer, Address: "db.example.com", Dialer: d})
	wantResult(t, res, Inconclusive, "egress blocked by policy while connecting")
	if dialed != "tcp db.example.com:1433" {
		t.Errorf("dialed %q", dialed)
	}
}

func TestProbeHonoursCancel(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn) { drain(c) }) // accepts, never answers
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := Probe(ctx, Target{Engine: Postgres, Address: addr, Timeout: time.Minute})
	wantResult(t, res, Inconclusive, "cancelled")
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(Result{Engine: Postgres, Address: "h:5432", Verdict: Enforced, Reason: "r",
		Evidence: []Step{{Note: "n", Sent: "0000"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"engine":"postgres","address":"h:5432","verdict":"enforced","reason":"r","evidence":[{"note":"n","sent":"0000"}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestEvidenceIsCapped(t *testing.T) {
	p := &prober{}
	p.received("big", make([]byte, 2000))
	s := p.res.Evidence[0]
	if len(s.Received) != 2*maxEvidence || !strings.Contains(s.Note, "2000 bytes") {
		t.Errorf("evidence not capped: note %q, %d hex chars", s.Note, len(s.Received))
	}
}

// wantResult checks the verdict and that the reason says what it should; it
// logs the whole result on failure, evidence included.
func wantResult(t *testing.T, res Result, v Verdict, reasonContains string) {
	t.Helper()
	if res.Verdict != v || !strings.Contains(res.Reason, reasonContains) {
		b, _ := json.MarshalIndent(res, "", "  ")
		t.Errorf("got %s %q, want %s with reason containing %q\n%s", res.Verdict, res.Reason, v, reasonContains, b)
	}
	if res.Evidence == nil {
		t.Errorf("Evidence is nil; the JSON must show an empty list, not null")
	}
}

// fakeServer serves loopback connections with handle until the test ends;
// n counts connections from 0 so a handler can play several roles in turn.
func fakeServer(t *testing.T, handle func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				handle(n, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// drain reads until the client goes away.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// selfSigned makes a throwaway ECDSA certificate for 127.0.0.1/localhost.
func selfSigned(t testing.TB) (certPEM, keyPEM []byte, cert tls.Certificate) {
	t.Helper()
	certPEM, keyPEM, err := pgtest.SelfSignedPEM()
	if err == nil {
		cert, err = tls.X509KeyPair(certPEM, keyPEM)
	}
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, cert
}

// captureBlock returns the bytes of the hexdump that follows the first line
// starting with heading in testdata/wire-captures/<file>.
func captureBlock(t testing.TB, file, heading string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "wire-captures", file))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	in := false
	for _, line := range strings.Split(string(text), "\n") {
		switch {
		case !in && strings.HasPrefix(line, heading):
			in = true
		case in && len(line) > 10 && line[8:10] == "  ":
			hexPart, _, _ := strings.Cut(line[10:], "|")
			b, err := hex.DecodeString(strings.Join(strings.Fields(hexPart), ""))
			if err != nil {
				t.Fatalf("%s: bad hexdump line %q: %v", file, line, err)
			}
			out = append(out, b...)
		case in:
			if len(out) == 0 {
				t.Fatalf("%s: no hexdump after %q", file, heading)
			}
			return out
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no block %q", file, heading)
	}
	return out
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
