package probe

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Verdict is the answer to "does this endpoint demand TLS?".
type Verdict string

const (
	Enforced     Verdict = "enforced"
	NotEnforced  Verdict = "not-enforced"
	Inconclusive Verdict = "inconclusive"
)

// Engine is the wire protocol family; RDS engine names map onto it through
// ParseEngine.
type Engine string

const (
	SQLServer Engine = "sqlserver"
	Postgres  Engine = "postgres"
	MySQL     Engine = "mysql"
	MariaDB   Engine = "mariadb"
)

// DefaultTimeout bounds a whole probe when Target.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// ContextDialer is the one method Probe needs to open a connection; a
// *net.Dialer satisfies it, and tests or callers with a proxy can supply
// their own.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Target says what to probe. Only Engine and Address are required.
type Target struct {
	Engine  Engine
	Address string // host:port; a bare host gets DefaultPort(Engine)
	// User is the PostgreSQL user named in the StartupMessage: the master
	// user name from the RDS API. It is a name, not a credential. Default
	// "postgres".
	User string
	// Database is the PostgreSQL database in the StartupMessage. Default
	// "postgres", which every RDS PostgreSQL instance has (the server's own
	// default, the user name, often does not exist).
	Database string
	// ServerName is the TLS SNI name. Default: the host part of Address.
	ServerName string
	// Timeout bounds the whole probe, both connections included. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Dialer opens TCP connections. Default: a zero net.Dialer.
	Dialer ContextDialer
}

// Step is one piece of evidence: a note and, when bytes crossed the wire, the
// first maxEvidence of them as hex.
type Step struct {
	Note     string `json:"note"`
	Sent     string `json:"sent,omitempty"`
	Received string `json:"received,omitempty"`
}

// Result is the outcome of one probe.
type Result struct {
	Engine   Engine  `json:"engine"`
	Address  string  `json:"address"`
	Verdict  Verdict `json:"verdict"`
	Reason   string  `json:"reason"`
	SQLState string  `json:"sqlstate,omitempty"`
	Evidence []Step  `json:"evidence"`
}

// ExitCode maps the verdict to the CLI's exit status: 0 enforced, 1 not
// enforced, 3 inconclusive (2 is left for usage errors).
func (r Result) ExitCode() int {
	switch r.Verdict {
	case Enforced:
		return 0
	case NotEnforced:
		return 1
	default:
		return 3
	}
}

// DefaultPort is the port RDS uses for an engine unless told otherwise; 0 for
// an unknown engine.
func DefaultPort(e Engine) int {
	switch e {
	case SQLServer:
		return 1433
	case Postgres:
		return 5432
	case MySQL, MariaDB:
		return 3306
	}
	return 0
}

// ParseEngine maps an RDS engine name (DBInstance.Engine, DBCluster.Engine)
// to the wire protocol to probe. Our own Engine names are accepted too, so
// the CLI can take either.
func ParseEngine(rdsEngine string) (Engine, bool) {
	e := strings.ToLower(strings.TrimSpace(rdsEngine))
	switch {
	case e == "sqlserver" || strings.HasPrefix(e, "sqlserver-") || strings.HasPrefix(e, "custom-sqlserver-"):
		return SQLServer, true
	case e == "postgres" || e == "aurora-postgresql":
		return Postgres, true
	// "aurora" is the engine name of the original MySQL 5.6-compatible Aurora.
	case e == "mysql" || e == "aurora-mysql" || e == "aurora":
		return MySQL, true
	case e == "mariadb":
		return MariaDB, true
	}
	return "", false
}

// Probe connects to t and reports whether the server demands TLS. It never
// panics and never returns an error: unreachable servers, timeouts and
// malformed replies are Inconclusive with the reason.
func Probe(ctx context.Context, t Target) (res Result) {
	t = t.withDefaults()
	p := &prober{t: t, res: Result{Engine: t.Engine, Address: t.Address, Evidence: []Step{}}}
	// Parsers are fuzzed not to panic; this is the last line of the "never
	// panics" promise for a CLI or Lambda that probes many endpoints in turn.
	defer func() {
		if r := recover(); r != nil {
			res = p.done(Inconclusive, fmt.Sprintf("internal error in the %s probe: %v", t.Engine, r))
		}
	}()
	if _, _, err := net.SplitHostPort(t.Address); err != nil || t.Address == "" {
		return p.done(Inconclusive, fmt.Sprintf("address %q is not host:port", t.Address))
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	p.ctx = ctx
	switch t.Engine {
	case SQLServer:
		return p.sqlServer()
	case Postgres:
		return p.postgres()
	case MySQL, MariaDB:
		return p.mysql()
	}
	return p.done(Inconclusive, fmt.Sprintf("unknown engine %q (want sqlserver, postgres, mysql or mariadb)", t.Engine))
}

func (t Target) withDefaults() Target {
	if t.Address != "" {
		if _, _, err := net.SplitHostPort(t.Address); err != nil && DefaultPort(t.Engine) != 0 {
			t.Address = net.JoinHostPort(strings.Trim(t.Address, "[]"), strconv.Itoa(DefaultPort(t.Engine)))
		}
	}
	if t.User == "" {
		t.User = "postgres"
	}
	if t.Database == "" {
		t.Database = "postgres"
	}
	if t.ServerName == "" {
		if host, _, err := net.SplitHostPort(t.Address); err == nil {
			t.ServerName = host
		}
	}
	if t.Timeout <= 0 {
		t.Timeout = DefaultTimeout
	}
	if t.Dialer == nil {
		t.Dialer = &net.Dialer{}
	}
	return t
}

// maxEvidence caps the bytes kept per Step: enough for every handshake
// message this package reads, small enough for a log line.
const maxEvidence = 512

// prober carries one probe's target, deadline and growing Result.
type prober struct {
	t   Target
	ctx context.Context
	res Result
}

func (p *prober) note(format string, args ...any) {
	p.res.Evidence = append(p.res.Evidence, Step{Note: fmt.Sprintf(format, args...)})
}

func (p *prober) sent(note string, b []byte) {
	p.res.Evidence = append(p.res.Evidence, Step{Note: capNote(note, b), Sent: capHex(b)})
}

func (p *prober) received(note string, b []byte) {
	p.res.Evidence = append(p.res.Evidence, Step{Note: capNote(note, b), Received: capHex(b)})
}

func (p *prober) done(v Verdict, reason string) Result {
	p.res.Verdict, p.res.Reason = v, reason
	return p.res
}

func capHex(b []byte) string {
	if len(b) > maxEvidence {
		b = b[:maxEvidence]
	}
	return hex.EncodeToString(b)
}

func capNote(note string, b []byte) string {
	if len(b) > maxEvidence {
		return fmt.Sprintf("%s (%d bytes, first %d shown)", note, len(b), maxEvidence)
	}
	return note
}

// clip shortens text a server chose (error messages, version strings) before
// it goes into a note or a reason.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
