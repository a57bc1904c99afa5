package probe

import (
	"bytes"
	"testing"
)

// The reply parsers read whatever a server, or something pretending to be
// one, sends. Seeded with real captures; the seeds run with every go test,
// and `go test -fuzz FuzzParseTDS` (etc.) explores further.

func FuzzParseTDS(f *testing.F) {
	f.Add(serverReply(encryptReq))
	f.Add(serverReply(encryptOff))
	sample := hexBytes(f, msTDS41Sample)
	sample[0] = tdsTabular
	f.Add(sample)
	f.Add(hexBytes(f, "04 01 ff ff 00 00 01 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, data, err := readTDSReply(bytes.NewReader(b))
		if len(raw) > len(b) || len(data) > len(raw) {
			t.Fatalf("read %d raw and %d data bytes from %d", len(raw), len(data), len(b))
		}
		if err != nil {
			return
		}
		opts, err := parsePrelogin(data)
		if err != nil {
			return
		}
		if enc := opts[plEncryption]; len(enc) == 1 {
			if res := (&prober{}).encryptionVerdict(enc[0]); res.Reason == "" {
				t.Fatal("verdict without a reason")
			}
		}
	})
}

func FuzzParsePostgres(f *testing.F) {
	for _, c := range []struct{ file, heading string }{
		{"pg_sslonly_postgres.txt", "PG <- reply"}, {"pg_sslonly_nouser.txt", "PG <- reply"},
		{"pg_plain_postgres.txt", "PG <- reply"}, {"pg_plain_nouser.txt", "PG <- reply"},
	} {
		f.Add(captureBlock(f, c.file, c.heading))
	}
	f.Add([]byte{'E', 0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for range pgMaxMessages {
			m, err := readPGMessage(r)
			if err != nil {
				return
			}
			_ = pgNote(m)
			if state, err := pgSQLState(m.body); err == nil && state == "" {
				t.Fatal("empty SQLSTATE without an error")
			}
		}
	})
}

func FuzzParseMySQL(f *testing.F) {
	f.Add(captureBlock(f, "mdb_rst_on.txt", "MySQL <- initial handshake"))
	f.Add(captureBlock(f, "mdb_rst_on.txt", "MySQL <- reply"))
	f.Add(captureBlock(f, "mdb_rst_on_appuser_nopw.txt", "MySQL <- reply"))
	f.Add(err1130)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, payload, err := readMySQLPacket(bytes.NewReader(b))
		if err != nil {
			return
		}
		g, e, err := parseMySQLGreeting(payload)
		if err == nil && (g == nil) == (e == nil) {
			t.Fatalf("want exactly one of greeting and ERR, got %v and %v", g, e)
		}
	})
}
