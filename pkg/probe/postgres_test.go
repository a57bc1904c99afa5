package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// The probe's StartupMessage is the captured one (pg_plain_postgres.txt)
// with our application_name, and it carries no password.
func TestStartupMessageMatchesCapture(t *testing.T) {
	captured := captureBlock(t, "pg_plain_postgres.txt", "PG -> StartupMessage sent")
	want := bytes.Replace(captured, []byte("tls-probe"), []byte(pgAppName), 1)
	binary.BigEndian.PutUint32(want, uint32(len(want)))
	got := startupMessage("postgres", "postgres")
	if !bytes.Equal(got, want) {
		t.Errorf("StartupMessage\n got % x\nwant % x", got, want)
	}
	if bytes.Contains(bytes.ToLower(got), []byte("password")) {
		t.Errorf("StartupMessage mentions a password: %q", got)
	}
}

// The ErrorResponse a hostssl-only server sends (pg_sslonly_postgres.txt).
func TestParseCapturedErrorResponse(t *testing.T) {
	m, err := readPGMessage(bytes.NewReader(captureBlock(t, "pg_sslonly_postgres.txt", "PG <- reply")))
	if err != nil || m.typ != 'E' {
		t.Fatalf("readPGMessage: %q, %v", m.typ, err)
	}
	f, err := parsePGFields(m.body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[byte]string{'S': "FATAL", 'V': "FATAL", 'C': "28000", 'F': "auth.c", 'L': "544", 'R': "ClientAuthentication",
		'M': `no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption`}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("field %q = %q, want %q", k, f[k], v)
		}
	}
	if state, err := pgSQLState(m.body); state != "28000" || err != nil {
		t.Errorf("pgSQLState = %q, %v", state, err)
	}
}

// pgError builds an ErrorResponse from field pairs such as "C", "28000".
func pgError(fields ...string) []byte {
	var body []byte
	for i := 0; i+1 < len(fields); i += 2 {
		body = append(append(append(body, fields[i][0]), fields[i+1]...), 0)
	}
	return pgMsg('E', append(body, 0))
}

func pgMsg(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

// readFrontend reads a length-prefixed message without a type byte
// (StartupMessage, SSLRequest), as the server's postmaster does.
func readFrontend(c net.Conn) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	_, err := io.ReadFull(c, b)
	return append(n[:], b...), err
}

// pgConn is what a fake PostgreSQL connection does: reply to the
// StartupMessage or to an SSLRequest (then, after 'S', carry on over TLS).
type pgConn struct {
	sslAnswer     byte   // reply to SSLRequest; 0 means the client must not send one
	startupReply  []byte // reply to a plaintext StartupMessage
	tlsStartReply []byte // reply to a StartupMessage over TLS
}

func fakePostgres(t *testing.T, conns ...pgConn) string {
	_, _, cert := selfSigned(t)
	return fakeServer(t, func(n int, c net.Conn) {
		if n >= len(conns) {
			t.Errorf("unexpected connection %d", n)
			return
		}
		want := conns[n]
		msg, err := readFrontend(c)
		if err != nil {
			t.Errorf("fake PostgreSQL: %v", err)
			return
		}
		if bytes.Equal(msg, sslRequest) {
			if want.sslAnswer == 0 {
				t.Errorf("connection %d: unexpected SSLRequest", n)
				return
			}
			_, _ = c.Write([]byte{want.sslAnswer})
			if want.sslAnswer != 'S' {
				return
			}
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			if msg, err = readFrontend(tc); err != nil {
				t.Errorf("fake PostgreSQL over TLS: %v", err)
				return
			}
			c, want.startupReply = tc, want.tlsStartReply
		}
		if !bytes.Equal(msg, startupMessage("postgres", "postgres")) {
			t.Errorf("connection %d: got % x, want the StartupMessage", n, msg)
			return
		}
		_, _ = c.Write(want.startupReply)
		// Half-close so a truncated reply ends in EOF; whatever it was told,
		// the probe must then send nothing more: no password, no Terminate.
		_ = c.(interface{ CloseWrite() error }).CloseWrite()
		if n, _ := io.Copy(io.Discard, c); n > 0 {
			t.Errorf("client sent %d bytes after the StartupMessage", n)
		}
	})
}

func TestPostgresFakeServer(t *testing.T) {
	sasl := captureBlock(t, "pg_plain_postgres.txt", "PG <- reply")
	noHBA := captureBlock(t, "pg_sslonly_postgres.txt", "PG <- reply")
	notice := pgMsg('N', []byte("SWARNING\x00C01000\x00Mnotice first\x00\x00"))
	negotiate := pgMsg('v', []byte{0, 0, 0, 0, 0, 0, 0, 0})
	for _, tc := range []struct {
		name   string
		conns  []pgConn
		want   Verdict
		reason string
		state  string
	}{
		{"AuthenticationSASL without TLS", []pgConn{{startupReply: sasl}}, NotEnforced, "without TLS", ""},
		{"notice before the authentication request", []pgConn{{startupReply: append(notice, sasl...)}}, NotEnforced, "without TLS", ""},
		{"NegotiateProtocolVersion first", []pgConn{{startupReply: append(negotiate, sasl...)}}, NotEnforced, "without TLS", ""},
		{"28000, then accepted over TLS", []pgConn{{startupReply: noHBA}, {sslAnswer: 'S', tlsStartReply: sasl}}, Enforced, "accepted it over TLS", "28000"},
		{"28000 with and without TLS", []pgConn{{startupReply: noHBA}, {sslAnswer: 'S', tlsStartReply: noHBA}}, Inconclusive, "both without and with TLS", "28000"},
		{"28000, then another error over TLS", []pgConn{{startupReply: noHBA}, {sslAnswer: 'S', tlsStartReply: pgError("S", "FATAL", "C", "53300")}}, Inconclusive, "over TLS with SQLSTATE 53300", "28000"},
		{"28000 and no TLS at all", []pgConn{{startupReply: noHBA}, {sslAnswer: 'N'}}, Inconclusive, "answered N to SSLRequest", "28000"},
		{"28000 and a nonsense SSLRequest answer", []pgConn{{startupReply: noHBA}, {sslAnswer: 'E'}}, Inconclusive, "instead of S or N", "28000"},
		{"too many connections", []pgConn{{startupReply: pgError("S", "FATAL", "C", "53300", "Msorry, too many clients already")}}, Inconclusive, "53300 (too_many_connections)", "53300"},
		{"starting up", []pgConn{{startupReply: pgError("S", "FATAL", "C", "57P03")}}, Inconclusive, "57P03", "57P03"},
		{"ErrorResponse without SQLSTATE", []pgConn{{startupReply: pgError("S", "FATAL", "Mno pg_hba.conf entry")}}, Inconclusive, "without a SQLSTATE", ""},
		{"malformed SQLSTATE", []pgConn{{startupReply: pgError("S", "FATAL", "C", "28000; DROP")}}, Inconclusive, "not five digits", ""},
		{"unterminated error field", []pgConn{{startupReply: pgMsg('E', []byte("C28000"))}}, Inconclusive, "not NUL-terminated", ""},
		{"truncated length", []pgConn{{startupReply: []byte{'E', 0, 0}}}, Inconclusive, "middle of a message", ""},
		{"body shorter than its length", []pgConn{{startupReply: noHBA[:40]}}, Inconclusive, "middle of a message", ""},
		{"length of 2 GiB", []pgConn{{startupReply: []byte{'E', 0x80, 0, 0, 0}}}, Inconclusive, "claims length 2147483648", ""},
		{"length below 4", []pgConn{{startupReply: []byte{'R', 0, 0, 0, 3}}}, Inconclusive, "claims length 3", ""},
		{"unknown message type", []pgConn{{startupReply: pgMsg('Z', []byte{'I'})}}, Inconclusive, "unexpected message 'Z'", ""},
		{"EOF right away", []pgConn{{}}, Inconclusive, "closed the connection", ""},
		{"endless notices", []pgConn{{startupReply: bytes.Repeat(notice, pgMaxMessages+1)}}, Inconclusive, "more than 16 messages", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Probe(context.Background(), Target{Engine: Postgres, Address: fakePostgres(t, tc.conns...)})
			wantResult(t, res, tc.want, tc.reason)
			if res.SQLState != tc.state {
				t.Errorf("SQLState %q, want %q", res.SQLState, tc.state)
			}
		})
	}
}

func TestPostgresRejectsNULInNames(t *testing.T) {
	res := Probe(context.Background(), Target{Engine: Postgres, Address: closedPort(t), User: "a\x00b"})
	wantResult(t, res, Inconclusive, "NUL")
}

func TestPGNote(t *testing.T) {
	for _, tc := range []struct {
		msg  []byte
		want string
	}{
		{captureBlock(t, "pg_plain_postgres.txt", "PG <- reply"), "AuthenticationSASL (SCRAM-SHA-256)"},
		{captureBlock(t, "pg_sslonly_postgres.txt", "PG <- reply"), "ErrorResponse FATAL SQLSTATE 28000: no pg_hba.conf entry"},
		{pgMsg('R', []byte{0, 0, 0, 5, 1, 2, 3, 4}), "AuthenticationMD5Password"},
		{pgMsg('R', []byte{0, 0, 0, 0}), "AuthenticationOk"},
	} {
		m, err := readPGMessage(bytes.NewReader(tc.msg))
		if err != nil {
			t.Fatal(err)
		}
		if got := pgNote(m); !strings.HasPrefix(got, tc.want) {
			t.Errorf("pgNote = %q, want prefix %q", got, tc.want)
		}
	}
}
