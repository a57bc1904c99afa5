package probe

import (
	"encoding/binary"
	"fmt"
	"io"
)

// TDS framing (MS-TDS 2.2.3.1 packet header) and PRELOGIN option tokens and
// ENCRYPTION values (MS-TDS 2.2.6.5).
const (
	tdsPrelogin    = 0x12 // client PRELOGIN
	tdsTabular     = 0x04 // "tabular result": the server's PRELOGIN reply
	tdsStatusEOM   = 0x01 // last packet of the message
	tdsHeaderLen   = 8
	tdsMaxPacket   = 4096     // until login negotiates a size (MS-TDS 2.2.3.1.3)
	tdsMaxReply    = 64 << 10 // a PRELOGIN reply is tens of bytes
	plVersion      = 0x00
	plEncryption   = 0x01
	plInstOpt      = 0x02
	plThreadID     = 0x03
	plMARS         = 0x04
	plTerminator   = 0xFF
	encryptOff     = 0x00
	encryptOn      = 0x01
	encryptNotSup  = 0x02
	encryptReq     = 0x03
	encryptCertBit = 0x80 // ENCRYPT_CLIENT_CERT, OR-ed onto OFF/ON/REQ
)

// alpnTDS8 is the ALPN protocol of TDS 8.0 "strict" connections, where the
// TLS handshake comes before any TDS byte.
const alpnTDS8 = "tds/8.0"

type preloginOption struct {
	token byte
	data  []byte
}

// encodePrelogin builds a single-packet PRELOGIN message (MS-TDS 2.2.6.5):
// the 8-byte header, an option table of token + big-endian offset +
// big-endian length ended by 0xFF, then the option data. Offsets count from
// the start of the packet data, i.e. after the header.
func encodePrelogin(opts []preloginOption) []byte {
	tableLen := 5*len(opts) + 1
	size := tdsHeaderLen + tableLen
	for _, o := range opts {
		size += len(o.data)
	}
	// Header: type, status EOM, length, SPID 0, PacketID 1, Window 0.
	b := []byte{tdsPrelogin, tdsStatusEOM, byte(size >> 8), byte(size), 0, 0, 1, 0}
	off := tableLen
	for _, o := range opts {
		b = append(b, o.token, byte(off>>8), byte(off), byte(len(o.data)>>8), byte(len(o.data)))
		off += len(o.data)
	}
	b = append(b, plTerminator)
	for _, o := range opts {
		b = append(b, o.data...)
	}
	return b
}

// probePrelogin is the PRELOGIN the probe sends: the option set of the
// MS-TDS 4.1 sample (VERSION first, as 2.2.6.5 requires), but ENCRYPT_OFF,
// an empty instance name and no MARS. Offering OFF is the point: per the
// 2.2.6.5 table only a server set to force encryption answers ENCRYPT_REQ.
func probePrelogin() []byte {
	return encodePrelogin([]preloginOption{
		{plVersion, []byte{0, 0, 0, 0, 0, 0}},
		{plEncryption, []byte{encryptOff}},
		{plInstOpt, []byte{0}},
		{plThreadID, []byte{0, 0, 0, 0}},
		{plMARS, []byte{0}},
	})
}

// readTDSReply reads one server message of packet type 0x04, following
// packets until the EOM status bit. raw is every byte read, for evidence;
// an error with no raw bytes means the server sent nothing at all.
func readTDSReply(r io.Reader) (raw, data []byte, err error) {
	for {
		var h [tdsHeaderLen]byte
		n, err := io.ReadFull(r, h[:])
		raw = append(raw, h[:n]...)
		if err == io.EOF && len(raw) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return raw, data, err
		}
		if h[0] != tdsTabular {
			return raw, data, malformed("TDS packet type 0x%02x, want 0x04", h[0])
		}
		length := int(binary.BigEndian.Uint16(h[2:4]))
		if length < tdsHeaderLen || length > tdsMaxPacket || len(data)+length > tdsMaxReply {
			return raw, data, malformed("implausible TDS packet length %d", length)
		}
		body := make([]byte, length-tdsHeaderLen)
		n, err = io.ReadFull(r, body)
		raw, data = append(raw, body[:n]...), append(data, body[:n]...)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil || h[1]&tdsStatusEOM != 0 {
			return raw, data, err
		}
	}
}

// parsePrelogin decodes a PRELOGIN option table and returns each option's
// data by token. It rejects tables that run off the packet, data that points
// outside it or into the table, and repeated tokens.
func parsePrelogin(data []byte) (map[byte][]byte, error) {
	type entry struct {
		token    byte
		off, len int
	}
	var entries []entry
	i := 0
	for {
		if i >= len(data) {
			return nil, malformed("PRELOGIN option table has no 0xFF terminator")
		}
		if data[i] == plTerminator {
			break
		}
		if i+5 > len(data) {
			return nil, malformed("PRELOGIN option table cut short")
		}
		entries = append(entries, entry{data[i], int(binary.BigEndian.Uint16(data[i+1:])), int(binary.BigEndian.Uint16(data[i+3:]))})
		i += 5
	}
	tableEnd := i + 1
	opts := make(map[byte][]byte, len(entries))
	for _, e := range entries {
		if e.off < tableEnd || e.off+e.len > len(data) {
			return nil, malformed("PRELOGIN option 0x%02x points outside the packet (offset %d, length %d, %d data bytes)", e.token, e.off, e.len, len(data))
		}
		if _, dup := opts[e.token]; dup {
			return nil, malformed("PRELOGIN option 0x%02x appears twice", e.token)
		}
		opts[e.token] = data[e.off : e.off+e.len]
	}
	return opts, nil
}

func (p *prober) sqlServer() Result {
	conn, err := p.dial()
	if err != nil {
		return p.done(Inconclusive, "SQL Server: "+p.describe("connecting", err))
	}
	msg := probePrelogin()
	p.sent("PRELOGIN (MS-TDS 2.2.6.5) offering ENCRYPTION=0x00 ENCRYPT_OFF", msg)
	_, err = conn.Write(msg)
	var raw, data []byte
	if err == nil {
		raw, data, err = readTDSReply(conn)
	}
	conn.Close()
	if len(raw) > 0 {
		p.received("PRELOGIN reply", raw)
	}
	if err != nil {
		if len(raw) == 0 && closedByPeer(err) {
			p.note("the server closed the connection without answering the plaintext PRELOGIN")
			return p.tds8()
		}
		return p.done(Inconclusive, "SQL Server: "+p.describe("reading the PRELOGIN reply", err))
	}
	opts, err := parsePrelogin(data)
	if err != nil {
		return p.done(Inconclusive, "SQL Server: "+p.describe("decoding the PRELOGIN reply", err))
	}
	if v := opts[plVersion]; len(v) >= 4 {
		p.note("server version %d.%d.%d", v[0], v[1], binary.BigEndian.Uint16(v[2:4]))
	}
	enc := opts[plEncryption]
	if len(enc) != 1 {
		return p.done(Inconclusive, "SQL Server: the PRELOGIN reply carries no one-byte ENCRYPTION option, so the server's setting cannot be read")
	}
	p.note("server ENCRYPTION=0x%02x", enc[0])
	return p.encryptionVerdict(enc[0])
}

// encryptionVerdict reads the server's ENCRYPTION byte against the MS-TDS
// 2.2.6.5 table for a client that sent ENCRYPT_OFF.
func (p *prober) encryptionVerdict(b byte) Result {
	cert := ""
	if b&encryptCertBit != 0 {
		cert = " (with the ENCRYPT_CLIENT_CERT bit set, which the probe did not ask for)"
	}
	switch b &^ encryptCertBit {
	case encryptReq:
		return p.done(Enforced, "SQL Server answered ENCRYPT_REQ to a PRELOGIN offering no encryption, so it demands TLS for the whole session (Force Encryption)"+cert)
	case encryptOff:
		return p.done(NotEnforced, "SQL Server answered ENCRYPT_OFF to a PRELOGIN offering no encryption, so only the login packet would be encrypted and the session would continue in plaintext"+cert)
	case encryptNotSup:
		return p.done(NotEnforced, "SQL Server answered ENCRYPT_NOT_SUP: it offers no TLS at all, so the session would be plaintext"+cert)
	case encryptOn:
		// MS-TDS 2.2.6.5: a server answers ON only to a client that sent ON
		// or REQ; to our OFF it is off the table, so we cannot read a setting.
		return p.done(Inconclusive, "SQL Server answered ENCRYPT_ON to a PRELOGIN offering ENCRYPT_OFF, an answer the MS-TDS 2.2.6.5 table does not allow, so its setting cannot be read"+cert)
	}
	return p.done(Inconclusive, fmt.Sprintf("SQL Server answered ENCRYPTION=0x%02x, a value MS-TDS 2.2.6.5 does not define", b))
}

// tds8 tries a TDS 8.0 "strict" connection: TLS first, ALPN tds/8.0, and
// PRELOGIN only inside TLS. A server that hangs up on a plaintext PRELOGIN
// but completes this handshake accepts nothing but TLS. Whether a strict
// server really closes a plaintext PRELOGIN is not documented, which is why
// a plain close without a TLS handshake stays Inconclusive.
func (p *prober) tds8() Result {
	p.note("trying TDS 8.0 strict: a TLS ClientHello first, with ALPN %q", alpnTDS8)
	conn, err := p.dial()
	if err != nil {
		return p.done(Inconclusive, "SQL Server closed the plaintext PRELOGIN without an answer; then "+p.describe("connecting again for TDS 8.0", err))
	}
	defer conn.Close()
	tc, err := p.startTLS(conn, alpnTDS8)
	if err != nil {
		return p.done(Inconclusive, "the server closed the plaintext PRELOGIN without an answer and no TLS-first (TDS 8.0) handshake worked either: "+p.describe("performing the TLS handshake", err))
	}
	tc.Close()
	return p.done(Enforced, "TDS 8.0 strict: the server speaks only TLS (it closed the plaintext PRELOGIN and completed a TLS-first handshake)")
}
