package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// msTDS41Sample is the "Pre-Login Request" of [MS-TDS] section 4.1, copied
// from the v39.0 text (as kept in github.com/kardianos/rdb,
// ms/_ref/MS-TDS_v39-0/04-protocol-examples/01-pre-login-request.md): VERSION
// 9.0.0.0, ENCRYPTION ON, INSTOPT "", THREADID 0x00000DB8, MARS on.
const msTDS41Sample = `
12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20
00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 00
01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01`

func TestEncodePreloginMatchesMSTDSSample(t *testing.T) {
	got := encodePrelogin([]preloginOption{
		{plVersion, []byte{0x09, 0, 0, 0, 0, 0}},
		{plEncryption, []byte{encryptOn}},
		{plInstOpt, []byte{0}},
		{plThreadID, []byte{0xB8, 0x0D, 0, 0}},
		{plMARS, []byte{1}},
	})
	if want := hexBytes(t, msTDS41Sample); !bytes.Equal(got, want) {
		t.Errorf("PRELOGIN\n got % x\nwant % x", got, want)
	}
}

// The probe's own PRELOGIN has the sample's header and option table byte
// for byte; only the option data differs (ENCRYPT_OFF, no MARS, zeros).
func TestProbePreloginFollowsSample(t *testing.T) {
	msg, sample := probePrelogin(), hexBytes(t, msTDS41Sample)
	if len(msg) != len(sample) || !bytes.Equal(msg[:34], sample[:34]) {
		t.Fatalf("header and option table differ from the MS-TDS 4.1 sample:\n got % x\nwant % x", msg, sample)
	}
	opts, err := parsePrelogin(msg[tdsHeaderLen:])
	if err != nil {
		t.Fatal(err)
	}
	if enc := opts[plEncryption]; !bytes.Equal(enc, []byte{encryptOff}) {
		t.Errorf("ENCRYPTION = % x, want 00 (ENCRYPT_OFF)", enc)
	}
}

// msTDSServerTable is the MS-TDS 2.2.6.5 table of the ENCRYPTION value a
// server returns, by the value the client sent and then the server's own
// setting (ENCRYPT_ON there is "Force Encryption"); the ENCRYPT_CLIENT_CERT
// rows are left out.
var msTDSServerTable = map[byte]map[byte]byte{
	encryptOff:    {encryptOff: encryptOff, encryptOn: encryptReq, encryptNotSup: encryptNotSup},
	encryptOn:     {encryptOff: encryptOn, encryptOn: encryptOn, encryptNotSup: encryptNotSup},
	encryptNotSup: {encryptOff: encryptNotSup, encryptOn: encryptReq, encryptNotSup: encryptNotSup},
	encryptReq:    {encryptOff: encryptOn, encryptOn: encryptOn, encryptNotSup: encryptNotSup},
}

func tdsPacket(typ, status byte, data []byte) []byte {
	b := []byte{typ, status, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(tdsHeaderLen+len(data)))
	return append(b, data...)
}

// serverReply is a server PRELOGIN reply like SQL Server 2019's (version
// 15.0.2000) with the given ENCRYPTION byte.
func serverReply(enc byte) []byte {
	b := encodePrelogin([]preloginOption{
		{plVersion, []byte{0x0f, 0x00, 0x07, 0xd0, 0, 0}},
		{plEncryption, []byte{enc}},
		{plInstOpt, []byte{0}},
		{plThreadID, nil}, // "SHOULD be empty when being sent from the server"
		{plMARS, []byte{0}},
	})
	b[0] = tdsTabular
	return b
}

// readClientPrelogin reads the probe's PRELOGIN as a server would.
func readClientPrelogin(c net.Conn) (map[byte][]byte, error) {
	h := make([]byte, tdsHeaderLen)
	if _, err := io.ReadFull(c, h); err != nil {
		return nil, err
	}
	if h[0] != tdsPrelogin || h[1] != tdsStatusEOM {
		return nil, fmt.Errorf("header % x is not a one-packet PRELOGIN", h)
	}
	body := make([]byte, int(binary.BigEndian.Uint16(h[2:]))-tdsHeaderLen)
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, err
	}
	if body[0] != plVersion {
		return nil, fmt.Errorf("first option 0x%02x, MS-TDS 2.2.6.5 wants VERSION first", body[0])
	}
	return parsePrelogin(body)
}

// fakeSQLServer answers PRELOGIN per the 2.2.6.5 table as a server with the
// given setting, then checks that the client sends nothing more: the probe
// must never go on to LOGIN7.
func fakeSQLServer(t *testing.T, setting byte) string {
	return fakeServer(t, func(_ int, c net.Conn) {
		opts, err := readClientPrelogin(c)
		if err != nil {
			t.Errorf("fake SQL Server: %v", err)
			return
		}
		client := opts[plEncryption]
		if !bytes.Equal(client, []byte{encryptOff}) {
			t.Errorf("client ENCRYPTION = % x, want 00", client)
			return
		}
		_, _ = c.Write(serverReply(msTDSServerTable[client[0]][setting]))
		if n, _ := io.Copy(io.Discard, c); n > 0 {
			t.Errorf("client sent %d bytes after PRELOGIN; the probe must never log in", n)
		}
	})
}

func TestSQLServerAgainstMSTDSTable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting byte
		want    Verdict
		reason  string
	}{
		{"force encryption answers ENCRYPT_REQ", encryptOn, Enforced, "ENCRYPT_REQ"},
		{"encryption available but not forced answers ENCRYPT_OFF", encryptOff, NotEnforced, "ENCRYPT_OFF"},
		{"no certificate answers ENCRYPT_NOT_SUP", encryptNotSup, NotEnforced, "ENCRYPT_NOT_SUP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Probe(context.Background(), Target{Engine: SQLServer, Address: fakeSQLServer(t, tc.setting)})
			wantResult(t, res, tc.want, tc.reason)
			ev := fmt.Sprint(res.Evidence)
			if !strings.Contains(ev, "server version 15.0.2000") || !strings.Contains(ev, hexString(serverReply(msTDSServerTable[encryptOff][tc.setting]))) {
				t.Errorf("evidence lacks the reply or the server version: %s", ev)
			}
		})
	}
}

func hexString(b []byte) string { return fmt.Sprintf("%x", b) }

// Replies off the 2.2.6.5 table, or not TDS at all: never a panic, never a
// guess.
func TestSQLServerOddReplies(t *testing.T) {
	ok := serverReply(encryptReq)
	wrongType := append([]byte(nil), ok...)
	wrongType[0] = tdsPrelogin
	split := append(tdsPacket(tdsTabular, 0, ok[8:20]), tdsPacket(tdsTabular, tdsStatusEOM, ok[20:])...)
	for _, tc := range []struct {
		name   string
		reply  []byte
		want   Verdict
		reason string
	}{
		{"ENCRYPT_ON to a client OFF", serverReply(encryptOn), Inconclusive, "ENCRYPT_ON"},
		{"ENCRYPT_REQ with the client-cert bit", serverReply(0x83), Enforced, "ENCRYPT_CLIENT_CERT"},
		{"ENCRYPT_OFF with the client-cert bit", serverReply(0x80), NotEnforced, "ENCRYPT_CLIENT_CERT"},
		{"reserved ENCRYPT_EXT bit", serverReply(0x23), Inconclusive, "0x23"},
		{"undefined value", serverReply(0x07), Inconclusive, "0x07"},
		{"reply split over two packets", split, Enforced, "ENCRYPT_REQ"},
		{"truncated header", hexBytes(t, "04 01 00"), Inconclusive, "middle of a message"},
		{"wrong packet type", wrongType, Inconclusive, "packet type 0x12"},
		{"length below the header size", hexBytes(t, "04 01 00 04 00 00 01 00"), Inconclusive, "implausible TDS packet length 4"},
		{"huge length", hexBytes(t, "04 01 ff ff 00 00 01 00"), Inconclusive, "implausible TDS packet length 65535"},
		{"body shorter than its length", ok[:len(ok)-3], Inconclusive, "middle of a message"},
		{"empty packet", tdsPacket(tdsTabular, tdsStatusEOM, nil), Inconclusive, "no 0xFF terminator"},
		{"option table without terminator", tdsPacket(tdsTabular, 1, hexBytes(t, "01 00 06 00 01")), Inconclusive, "no 0xFF terminator"},
		{"option table cut short", tdsPacket(tdsTabular, 1, hexBytes(t, "00 00 06")), Inconclusive, "cut short"},
		{"option pointing outside the packet", tdsPacket(tdsTabular, 1, hexBytes(t, "01 01 00 00 01 ff 03")), Inconclusive, "outside the packet"},
		{"option pointing into the table", tdsPacket(tdsTabular, 1, hexBytes(t, "01 00 00 00 01 ff")), Inconclusive, "outside the packet"},
		{"no ENCRYPTION option", tdsPacket(tdsTabular, 1, hexBytes(t, "00 00 06 00 06 ff 0f 00 07 d0 00 00")), Inconclusive, "no one-byte ENCRYPTION"},
		{"two-byte ENCRYPTION", tdsPacket(tdsTabular, 1, hexBytes(t, "01 00 06 00 02 ff 03 03")), Inconclusive, "no one-byte ENCRYPTION"},
		{"repeated ENCRYPTION", tdsPacket(tdsTabular, 1, hexBytes(t, "01 00 0b 00 01 01 00 0b 00 01 ff 03")), Inconclusive, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(_ int, c net.Conn) {
				if _, err := readClientPrelogin(c); err == nil {
					_, _ = c.Write(tc.reply)
				}
			})
			res := Probe(context.Background(), Target{Engine: SQLServer, Address: addr})
			wantResult(t, res, tc.want, tc.reason)
		})
	}
}

func TestEncryptionVerdictEveryByte(t *testing.T) {
	for b := range 256 {
		want := Inconclusive
		switch byte(b) &^ encryptCertBit {
		case encryptReq:
			want = Enforced
		case encryptOff, encryptNotSup:
			want = NotEnforced
		}
		if got := (&prober{}).encryptionVerdict(byte(b)); got.Verdict != want || got.Reason == "" {
			t.Errorf("ENCRYPTION 0x%02x: %s %q, want %s", b, got.Verdict, got.Reason, want)
		}
	}
}

func TestSQLServerClosesWithoutReply(t *testing.T) {
	addr := fakeServer(t, func(int, net.Conn) {}) // hangs up at once and speaks no TLS
	res := Probe(context.Background(), Target{Engine: SQLServer, Address: addr})
	wantResult(t, res, Inconclusive, "no TLS-first (TDS 8.0) handshake worked either")
	if !strings.Contains(fmt.Sprint(res.Evidence), "trying TDS 8.0 strict") {
		t.Errorf("evidence does not show the TDS 8.0 attempt: %v", res.Evidence)
	}
}

// replayConn puts back bytes a server peeked at.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// A TDS 8.0 strict server: it hangs up on a plaintext PRELOGIN and completes
// a TLS handshake that comes first.
func TestSQLServerTDS8Strict(t *testing.T) {
	_, _, cert := selfSigned(t)
	alpn := make(chan string, 1)
	addr := fakeServer(t, func(_ int, c net.Conn) {
		first := make([]byte, 1)
		if _, err := io.ReadFull(c, first); err != nil || first[0] != 0x16 { // 0x16: TLS handshake record
			return
		}
		tc := tls.Server(&replayConn{c, io.MultiReader(bytes.NewReader(first), c)},
			&tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpnTDS8}})
		if err := tc.Handshake(); err != nil {
			t.Errorf("fake strict server: %v", err)
			return
		}
		alpn <- tc.ConnectionState().NegotiatedProtocol
		drain(tc)
	})
	res := Probe(context.Background(), Target{Engine: SQLServer, Address: addr, ServerName: "localhost"})
	wantResult(t, res, Enforced, "TDS 8.0 strict")
	if got := <-alpn; got != alpnTDS8 {
		t.Errorf("ALPN %q, want %q", got, alpnTDS8)
	}
}

func TestSQLServerNeverAnswers(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn) { drain(c) })
	start := time.Now()
	res := Probe(context.Background(), Target{Engine: SQLServer, Address: addr, Timeout: 300 * time.Millisecond})
	wantResult(t, res, Inconclusive, "no answer within 300ms")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 300ms probe took %s", d)
	}
}
