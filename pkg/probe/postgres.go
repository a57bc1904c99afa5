package probe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
)

// PostgreSQL frontend/backend protocol 3.0 ("Message Formats" and "Message
// Flow: Start-up" in the PostgreSQL documentation).
const (
	pgProtocol30  = 3 << 16  // StartupMessage version: 00 03 00 00
	pgMaxMessage  = 64 << 10 // start-up replies are a few hundred bytes
	pgMaxMessages = 16       // notices tolerated before an 'R' or an 'E'
	pgAppName     = "forcessl-probe"
	// invalid_authorization_specification: what pg_hba.conf answers when no
	// line matches (hostssl only) or a hostnossl line rejects, before any
	// authentication exchange.
	sqlstateNoHBA = "28000"
)

// sslRequest asks the server to switch to TLS: length 8, code 80877103.
var sslRequest = []byte{0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f}

// startupMessage builds a protocol 3.0 StartupMessage: length, version, then
// NUL-terminated name/value pairs ended by an empty name. No password goes in
// it; the server asks for one in an 'R' message, which the probe never answers.
func startupMessage(user, database string) []byte {
	b := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(b[4:], pgProtocol30)
	for _, kv := range [][2]string{{"user", user}, {"database", database}, {"application_name", pgAppName}} {
		b = append(append(append(append(b, kv[0]...), 0), kv[1]...), 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

type pgMessage struct {
	typ  byte
	body []byte
	raw  []byte // every byte read, for evidence
}

// readPGMessage reads one backend message: type byte, big-endian length
// that counts itself, body. Lengths outside [4, pgMaxMessage] are rejected
// before allocating.
func readPGMessage(r io.Reader) (pgMessage, error) {
	var h [5]byte
	n, err := io.ReadFull(r, h[:])
	m := pgMessage{raw: append([]byte(nil), h[:n]...)}
	if err != nil {
		return m, err
	}
	m.typ = h[0]
	length := binary.BigEndian.Uint32(h[1:])
	if length < 4 || length > pgMaxMessage {
		return m, malformed("message %q claims length %d", m.typ, length)
	}
	body := make([]byte, length-4)
	n, err = io.ReadFull(r, body)
	m.body, m.raw = body[:n], append(m.raw, body[:n]...)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return m, err
}

// parsePGFields decodes the body of an ErrorResponse or NoticeResponse: a
// field-type byte and a NUL-terminated string per field, ended by a 0 byte.
func parsePGFields(body []byte) (map[byte]string, error) {
	f := map[byte]string{}
	for len(body) > 0 {
		code := body[0]
		if code == 0 {
			return f, nil
		}
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			return nil, malformed("error field %q is not NUL-terminated", code)
		}
		f[code] = string(body[1 : 1+end])
		body = body[2+end:]
	}
	return nil, malformed("error fields lack their final 0 byte")
}

// pgSQLState returns the SQLSTATE ('C' field) of an ErrorResponse. The code,
// never the message text, is what the probe decides on: the text changes
// between versions ("SSL off" in 12, "no encryption" in 15) and with
// lc_messages.
func pgSQLState(body []byte) (string, error) {
	f, err := parsePGFields(body)
	if err != nil {
		return "", err
	}
	state, ok := f['C']
	switch {
	case !ok:
		return "", malformed("ErrorResponse without a SQLSTATE ('C') field")
	case len(state) != 5 || strings.IndexFunc(state, func(r rune) bool { return (r < '0' || r > '9') && (r < 'A' || r > 'Z') }) >= 0:
		return "", malformed("SQLSTATE %q is not five digits or capital letters", clip(state))
	}
	return state, nil
}

// pgCondition names the SQLSTATEs a start-up can plausibly meet before
// authentication, so the reason reads without a lookup table.
func pgCondition(state string) string {
	name := map[string]string{"57P03": "cannot_connect_now", "53300": "too_many_connections",
		"3D000": "invalid_catalog_name", "08P01": "protocol_violation", "0A000": "feature_not_supported"}[state]
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// pgNote labels a backend message for the evidence.
func pgNote(m pgMessage) string {
	switch m.typ {
	case 'R':
		if len(m.body) < 4 {
			return "Authentication request"
		}
		names := map[uint32]string{0: "AuthenticationOk", 3: "AuthenticationCleartextPassword", 5: "AuthenticationMD5Password",
			7: "AuthenticationGSS", 9: "AuthenticationSSPI", 10: "AuthenticationSASL"}
		name, ok := names[binary.BigEndian.Uint32(m.body)]
		if !ok {
			name = fmt.Sprintf("Authentication request %d", binary.BigEndian.Uint32(m.body))
		}
		if mechs := strings.Trim(string(m.body[4:]), "\x00"); mechs != "" {
			name += " (" + strings.ReplaceAll(mechs, "\x00", ", ") + ")"
		}
		return name
	case 'E', 'N':
		kind := map[byte]string{'E': "ErrorResponse", 'N': "NoticeResponse"}[m.typ]
		if f, err := parsePGFields(m.body); err == nil {
			return fmt.Sprintf("%s %s SQLSTATE %s: %s", kind, clip(f['V']), clip(f['C']), clip(f['M']))
		}
		return kind
	case 'v':
		return "NegotiateProtocolVersion"
	}
	return fmt.Sprintf("message %q", m.typ)
}

// pgStartup sends a StartupMessage and reads until the first message that
// settles the question: 'R' (the server wants to authenticate us) or 'E'.
// It returns without answering either, so no credential is ever sent.
func (p *prober) pgStartup(conn net.Conn, how string) (pgMessage, error) {
	msg := startupMessage(p.t.User, p.t.Database)
	p.sent(fmt.Sprintf("StartupMessage %s (protocol 3.0, user %q, database %q)", how, p.t.User, p.t.Database), msg)
	if _, err := conn.Write(msg); err != nil {
		return pgMessage{}, err
	}
	for range pgMaxMessages {
		m, err := readPGMessage(conn)
		if len(m.raw) > 0 {
			p.received(pgNote(m), m.raw)
		}
		switch {
		case err != nil:
			return m, err
		case m.typ == 'R' || m.typ == 'E':
			return m, nil
		case m.typ == 'N' || m.typ == 'v': // notices and protocol downgrades come first
			continue
		}
		return m, malformed("unexpected message %q during start-up", m.typ)
	}
	return pgMessage{}, malformed("more than %d messages before an authentication request or an error", pgMaxMessages)
}

func (p *prober) postgres() Result {
	if strings.ContainsRune(p.t.User+p.t.Database, 0) {
		return p.done(Inconclusive, "PostgreSQL: the user or database name contains a NUL byte")
	}
	conn, err := p.dial()
	if err != nil {
		return p.done(Inconclusive, "PostgreSQL: "+p.describe("connecting", err))
	}
	// Closing after the first reply, rather than sending Terminate, mirrors
	// psql at a password prompt: the server logs nothing for a client that
	// disconnects there, whereas an 'X' is logged (PostgreSQL 15: "FATAL:
	// expected SASL response, got message type 88").
	m, err := p.pgStartup(conn, "without TLS")
	conn.Close()
	if err != nil {
		return p.done(Inconclusive, "PostgreSQL: "+p.describe("reading the reply to a plaintext start-up", err))
	}
	if m.typ == 'R' {
		return p.done(NotEnforced, "PostgreSQL accepted a plaintext (non-TLS) start-up and asked to authenticate, so pg_hba.conf lets this user connect without TLS")
	}
	state, err := pgSQLState(m.body)
	if err != nil {
		return p.done(Inconclusive, "PostgreSQL: "+p.describe("decoding the ErrorResponse to a plaintext start-up", err))
	}
	p.res.SQLState = state
	if state != sqlstateNoHBA {
		return p.done(Inconclusive, fmt.Sprintf("PostgreSQL refused the plaintext start-up with SQLSTATE %s%s, which says nothing about TLS", state, pgCondition(state)))
	}
	return p.pgConfirmTLS()
}

// pgConfirmTLS tells "pg_hba.conf wants TLS" from "pg_hba.conf rejects this
// user or database whatever the transport" by repeating the start-up over
// TLS. SSLRequest alone proves nothing: servers answer 'S' whatever pg_hba
// says.
func (p *prober) pgConfirmTLS() Result {
	const refused = "PostgreSQL refused the plaintext start-up with SQLSTATE 28000"
	p.note("SQLSTATE 28000 without TLS: repeating the start-up over TLS")
	conn, err := p.dial()
	if err != nil {
		return p.done(Inconclusive, refused+"; then "+p.describe("connecting again to try TLS", err))
	}
	defer conn.Close()
	p.sent("SSLRequest", sslRequest)
	// Read exactly one byte: anything after 'S' belongs to the TLS handshake
	// and must not be taken as plaintext protocol (CVE-2021-23222).
	var b [1]byte
	if _, err = conn.Write(sslRequest); err == nil {
		_, err = io.ReadFull(conn, b[:])
	}
	if err != nil {
		return p.done(Inconclusive, refused+"; then "+p.describe("waiting for the SSLRequest answer", err))
	}
	p.received(fmt.Sprintf("SSLRequest answer %q", b[0]), b[:])
	switch b[0] {
	case 'S':
	case 'N':
		return p.done(Inconclusive, refused+" but has no TLS (it answered N to SSLRequest), so the refusal was for another reason")
	default:
		return p.done(Inconclusive, fmt.Sprintf("%s and answered SSLRequest with %q instead of S or N", refused, b[0]))
	}
	tc, err := p.startTLS(conn)
	if err != nil {
		return p.done(Inconclusive, refused+" and the TLS handshake failed: "+p.describe("performing the TLS handshake", err))
	}
	// Close sends close_notify before the TCP close; without it PostgreSQL
	// 15 logs "could not receive data from client: Connection reset by peer".
	defer tc.Close()
	m, err := p.pgStartup(tc, "over TLS")
	if err != nil {
		return p.done(Inconclusive, refused+"; then "+p.describe("reading the reply to the start-up over TLS", err))
	}
	if m.typ == 'R' {
		return p.done(Enforced, "PostgreSQL refused the start-up without TLS (SQLSTATE 28000) and accepted it over TLS, so pg_hba.conf demands TLS")
	}
	state, err := pgSQLState(m.body)
	switch {
	case err != nil:
		return p.done(Inconclusive, refused+"; then "+p.describe("decoding the ErrorResponse over TLS", err))
	case state == sqlstateNoHBA:
		return p.done(Inconclusive, fmt.Sprintf("PostgreSQL refused the start-up with SQLSTATE 28000 both without and with TLS: user %q or database %q is rejected anyway, so TLS enforcement cannot be told", p.t.User, p.t.Database))
	}
	return p.done(Inconclusive, fmt.Sprintf("%s and the start-up over TLS with SQLSTATE %s, so TLS enforcement cannot be told", refused, state))
}
