package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func mysqlPacket(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// err1130 is what MySQL and MariaDB send in place of the greeting when no
// account matches the client's host.
var err1130 = mysqlPacket(0, append([]byte{0xff, 0x6a, 0x04}, "Host '127.0.0.1' is not allowed to connect to this MariaDB server"...))

func TestParseMySQLGreeting(t *testing.T) {
	for _, file := range []string{"mdb_rst_on.txt", "mdb_rst_off.txt"} {
		_, payload, err := readMySQLPacket(strings.NewReader(string(captureBlock(t, file, "MySQL <- initial handshake"))))
		if err != nil {
			t.Fatal(err)
		}
		g, e, err := parseMySQLGreeting(payload)
		if err != nil || e != nil {
			t.Fatalf("%s: %v %v", file, e, err)
		}
		// The capture tool decoded the same bytes as caps=0x81fffffe.
		if g.version != "5.5.5-10.11.19-MariaDB-0+deb12u1" || g.caps != 0x81fffffe {
			t.Errorf("%s: version %q caps %#x", file, g.version, g.caps)
		}
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		code    uint16
		state   string
	}{
		{"1130 host not allowed, no SQLSTATE marker", err1130[4:], 1130, ""},
		// What MySQL 8 would send after a plaintext login under
		// require_secure_transport=ON; constructed, not captured.
		{"3159 with a SQLSTATE marker", append([]byte{0xff, 0x57, 0x0c}, "#HY000Connections using insecure transport are prohibited"...), 3159, "HY000"},
	} {
		_, e, err := parseMySQLGreeting(tc.payload)
		if err != nil || e == nil || e.code != tc.code || e.sqlState != tc.state {
			t.Errorf("%s: %+v, %v", tc.name, e, err)
		}
	}
}

func TestMySQLFakeServer(t *testing.T) {
	greeting := captureBlock(t, "mdb_rst_on.txt", "MySQL <- initial handshake")
	noSSL := append([]byte(nil), greeting...)
	noSSL[4+1+len("5.5.5-10.11.19-MariaDB-0+deb12u1")+1+13+1] &^= 0x08 // clear CLIENT_SSL in the lower flags
	for _, tc := range []struct {
		name, evidence, reason string
		greeting               []byte
	}{
		{"MariaDB greeting with CLIENT_SSL", "CLIENT_SSL (0x0800) set", mysqlVerdictWhy, greeting},
		{"greeting without CLIENT_SSL", "CLIENT_SSL (0x0800) not set", mysqlVerdictWhy, noSSL},
		{"ERR 1130 as greeting", "ERR 1130", "sent ERR 1130 instead of its greeting", err1130},
		{"EOF right away", "", "closed the connection", nil},
		{"truncated header", "", "middle of a message", []byte{0x64, 0}},
		{"greeting cut short", "", "middle of a message", greeting[:30]},
		{"length of 16 MiB", "", "implausible MySQL packet length", []byte{0xff, 0xff, 0xff, 0}},
		{"protocol 9", "", "not protocol 10 or ERR", mysqlPacket(0, []byte{0x09, '4', '.', '0', 0})},
		{"version without NUL", "", "not NUL-terminated", mysqlPacket(0, []byte{0x0a, '8', '.', '0'})},
		{"no capability flags", "", "before the capability flags", mysqlPacket(0, []byte{0x0a, '8', 0, 1, 2, 3})},
		{"ERR cut short", "", "ERR packet cut short", mysqlPacket(0, []byte{0xff, 0x6a})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(_ int, c net.Conn) {
				_, _ = c.Write(tc.greeting)
				// Half-close so a short greeting ends in EOF; the probe must
				// then hang up by itself, without a login packet.
				_ = c.(*net.TCPConn).CloseWrite()
				if n, _ := io.Copy(io.Discard, c); n > 0 {
					t.Errorf("client sent %d bytes; the probe must only read the greeting", n)
				}
			})
			res := Probe(context.Background(), Target{Engine: MariaDB, Address: addr})
			wantResult(t, res, Inconclusive, tc.reason)
			if !strings.Contains(fmt.Sprint(res.Evidence), tc.evidence) {
				t.Errorf("evidence lacks %q: %v", tc.evidence, res.Evidence)
			}
		})
	}
}

func TestMySQLNeverGreets(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn) { drain(c) })
	res := Probe(context.Background(), Target{Engine: MySQL, Address: addr, Timeout: 300 * time.Millisecond})
	wantResult(t, res, Inconclusive, "no answer within 300ms while waiting for the server greeting")
}
