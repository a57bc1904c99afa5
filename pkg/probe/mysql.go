package probe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// MySQL client/server protocol: packet framing and the initial handshake
// (Protocol::HandshakeV10, and an ERR_Packet in its place) as described in
// the MySQL source documentation ("Connection Phase") and MariaDB's
// "Connection" protocol pages.
const (
	mysqlMaxPacket  = 64 << 10 // a greeting is about a hundred bytes
	mysqlHandshake  = 0x0a     // protocol version 10
	mysqlErr        = 0xff
	mysqlClientSSL  = 0x0800 // CLIENT_SSL capability flag
	mysqlVerdictWhy = "MySQL/MariaDB decide after authentication; verify require_secure_transport through the RDS API"
)

// readMySQLPacket reads one packet: 3-byte little-endian payload length,
// sequence id, payload.
func readMySQLPacket(r io.Reader) (raw, payload []byte, err error) {
	var h [4]byte
	n, err := io.ReadFull(r, h[:])
	raw = append(raw, h[:n]...)
	if err != nil {
		return raw, nil, err
	}
	length := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if length == 0 || length > mysqlMaxPacket {
		return raw, nil, malformed("implausible MySQL packet length %d", length)
	}
	payload = make([]byte, length)
	n, err = io.ReadFull(r, payload)
	raw, payload = append(raw, payload[:n]...), payload[:n]
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return raw, payload, err
}

type mysqlGreeting struct {
	version string
	caps    uint32 // lower 16 bits always; upper 16 when the server sent them
}

type mysqlError struct {
	code     uint16
	sqlState string
	message  string
}

// parseMySQLGreeting decodes the first server packet: a HandshakeV10 or an
// ERR packet (sent instead, e.g. 1130 when no account matches the client
// host). Exactly one of the results is non-nil when err is nil.
func parseMySQLGreeting(payload []byte) (*mysqlGreeting, *mysqlError, error) {
	if len(payload) == 0 {
		return nil, nil, malformed("empty greeting")
	}
	switch payload[0] {
	case mysqlErr:
		if len(payload) < 3 {
			return nil, nil, malformed("ERR packet cut short")
		}
		e := &mysqlError{code: binary.LittleEndian.Uint16(payload[1:3])}
		rest := payload[3:]
		if len(rest) >= 6 && rest[0] == '#' {
			e.sqlState, rest = string(rest[1:6]), rest[6:]
		}
		e.message = string(rest)
		return nil, e, nil
	case mysqlHandshake:
		end := bytes.IndexByte(payload[1:], 0)
		if end < 0 {
			return nil, nil, malformed("server version is not NUL-terminated")
		}
		g := &mysqlGreeting{version: string(payload[1 : 1+end])}
		// connection id (4), auth-plugin-data part 1 (8), filler (1), then
		// the lower capability flags (2).
		rest := payload[1+end+1:]
		if len(rest) < 15 {
			return nil, nil, malformed("greeting cut short before the capability flags")
		}
		g.caps = uint32(binary.LittleEndian.Uint16(rest[13:15]))
		// character set (1), status flags (2), upper capability flags (2).
		if len(rest) >= 20 {
			g.caps |= uint32(binary.LittleEndian.Uint16(rest[18:20])) << 16
		}
		return g, nil, nil
	}
	return nil, nil, malformed("greeting starts with 0x%02x, not protocol 10 or ERR", payload[0])
}

// mysql reads the greeting and hangs up. That is all a credential-less probe
// can do: require_secure_transport is checked after authentication (MySQL
// 5.7 acl_authenticate; MariaDB 10.11 answers 1045 either way), and the
// greeting is byte-identical with it ON and OFF. Each abandoned handshake
// may count toward max_connect_errors, another reason to probe sparingly.
func (p *prober) mysql() Result {
	conn, err := p.dial()
	if err != nil {
		return p.done(Inconclusive, "MySQL/MariaDB: "+p.describe("connecting", err))
	}
	defer conn.Close()
	raw, payload, err := readMySQLPacket(conn)
	if len(raw) > 0 {
		p.received("server greeting", raw)
	}
	if err != nil {
		return p.done(Inconclusive, "MySQL/MariaDB: "+p.describe("waiting for the server greeting", err))
	}
	g, e, err := parseMySQLGreeting(payload)
	switch {
	case err != nil:
		return p.done(Inconclusive, "MySQL/MariaDB: "+p.describe("decoding the server greeting", err))
	case e != nil:
		p.note("ERR %d (SQLSTATE %q) in place of the greeting: %s", e.code, e.sqlState, clip(e.message))
		return p.done(Inconclusive, fmt.Sprintf("the server sent ERR %d instead of its greeting (%s); in any case %s", e.code, clip(e.message), mysqlVerdictWhy))
	}
	ssl := "not set: the server offers no TLS"
	if g.caps&mysqlClientSSL != 0 {
		ssl = "set: the server offers TLS"
	}
	p.note("server version %q, capabilities 0x%08x, CLIENT_SSL (0x0800) %s", clip(g.version), g.caps, ssl)
	return p.done(Inconclusive, mysqlVerdictWhy)
}
