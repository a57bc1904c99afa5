package cli

// forcessl probe: against loopback responders, the real PostgreSQL server
// (internal/pgtest) and, for --instance and --cluster, endpoints resolved
// through moto.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/internal/pgtest"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/probe"
)

// probed is the JSON the probe command prints.
type probed struct {
	Resource *struct {
		Kind, ID, Account, Region, Engine, Address, MasterUsername string
	} `json:"resource"`
	Engine   string       `json:"engine"`
	Address  string       `json:"address"`
	Verdict  string       `json:"verdict"`
	Reason   string       `json:"reason"`
	SQLState string       `json:"sqlstate"`
	Evidence []probe.Step `json:"evidence"`
}

// probeJSON runs the probe command with --format json through dialer (nil:
// the network as is) and decodes what it printed.
func probeJSON(t *testing.T, vars map[string]string, dialer probe.ContextDialer, args ...string) (run, probed) {
	t.Helper()
	r := probeCommand(t, vars, dialer, append([]string{"--format", "json"}, args...)...)
	var p probed
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("probe %v: exit %d, stdout is not JSON: %v\n%s%s", args, r.code, err, r.stdout, r.stderr)
	}
	return r, p
}

// probeCommand is command for the probe, with its dialer.
func probeCommand(t *testing.T, vars map[string]string, dialer probe.ContextDialer, args ...string) run {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{
		Getenv: func(k string) string { return vars[k] }, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now },
		LoadAWS: func(context.Context) (aws.Config, error) { return moto.Config(t), nil },
	}
	code := runProbe(context.Background(), args, env, dialer)
	return run{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// serve accepts loopback connections and hands each to handle until the
// test ends.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// MS-TDS 2.2.6.5 ENCRYPTION values a server answers to a client offering
// ENCRYPT_OFF: ENCRYPT_REQ when it forces encryption, ENCRYPT_OFF when not.
const (
	encryptOff = 0x00
	encryptReq = 0x03
)

// tdsResponder is a loopback SQL Server as far as PRELOGIN: it checks that
// the client offers ENCRYPT_OFF, answers with enc, and fails the test if
// the client sends anything more (the probe never goes on to LOGIN7).
func tdsResponder(t *testing.T, enc byte) string {
	return serve(t, func(c net.Conn) {
		h := make([]byte, 8)
		if _, err := io.ReadFull(c, h); err != nil || h[0] != 0x12 {
			t.Errorf("fake SQL Server: header % x (%v), want a PRELOGIN (0x12)", h, err)
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint16(h[2:]))-8)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Errorf("fake SQL Server: %v", err)
			return
		}
		if offered := preloginOption(body, 0x01); !bytes.Equal(offered, []byte{encryptOff}) {
			t.Errorf("client ENCRYPTION % x, want 00 (ENCRYPT_OFF)", offered)
		}
		// Header (type 0x04, EOM, length 26), the option table (VERSION at
		// 11 for 6 bytes, ENCRYPTION at 17 for 1, terminator), the data:
		// version 15.0.2000.
		_, _ = c.Write([]byte{0x04, 0x01, 0x00, 0x1a, 0x00, 0x00, 0x01, 0x00,
			0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff,
			0x0f, 0x00, 0x07, 0xd0, 0x00, 0x00, enc})
		if n, _ := io.Copy(io.Discard, c); n > 0 {
			t.Errorf("the probe sent %d bytes after the PRELOGIN reply", n)
		}
	})
}

// preloginOption returns the data of token in a PRELOGIN body (MS-TDS
// 2.2.6.5: 5-byte entries of token, offset, length until 0xFF).
func preloginOption(body []byte, token byte) []byte {
	for i := 0; i+5 <= len(body) && body[i] != 0xff; i += 5 {
		off, n := int(binary.BigEndian.Uint16(body[i+1:])), int(binary.BigEndian.Uint16(body[i+3:]))
		if body[i] == token && off+n <= len(body) {
			return body[off : off+n]
		}
	}
	return nil
}

// pgResponder is a PostgreSQL that accepts plaintext: it answers any
// StartupMessage with AuthenticationSASL, as the capture
// pg_plain_postgres.txt shows, and reports the user each start-up named.
func pgResponder(t *testing.T) (string, <-chan string) {
	users := make(chan string, 8)
	return serve(t, func(c net.Conn) {
		var n uint32
		if err := binary.Read(c, binary.BigEndian, &n); err != nil || n < 8 || n > 1024 {
			t.Errorf("fake PostgreSQL: start-up length %d (%v)", n, err)
			return
		}
		msg := make([]byte, n-4)
		if _, err := io.ReadFull(c, msg); err != nil {
			t.Errorf("fake PostgreSQL: %v", err)
			return
		}
		kv := strings.Split(string(msg[4:]), "\x00")
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "user" {
				users <- kv[i+1]
			}
		}
		_, _ = c.Write(append([]byte{'R', 0, 0, 0, 0x17, 0, 0, 0, 0x0a}, "SCRAM-SHA-256\x00\x00"...))
		_, _ = io.Copy(io.Discard, c)
	}), users
}

// redirect sends every connection to one loopback address and remembers
// the address the probe asked for: an RDS endpoint from moto cannot be
// reached, its stand-in can.
type redirect struct {
	to    string
	mu    sync.Mutex
	asked []string
}

func (r *redirect) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	r.mu.Lock()
	r.asked = append(r.asked, address)
	r.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, r.to)
}

func TestProbeSQLServer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enc     byte
		code    int
		verdict string
	}{
		{"forced encryption answers ENCRYPT_REQ", encryptReq, ExitOK, "enforced"},
		{"optional encryption answers ENCRYPT_OFF", encryptOff, ExitFindings, "not-enforced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tdsResponder(t, tc.enc)
			r, p := probeJSON(t, nil, nil, "--engine", "sqlserver", addr)
			if r.code != tc.code || p.Verdict != tc.verdict || p.Engine != "sqlserver" || p.Address != addr {
				t.Errorf("exit %d, %s %s %s; want %d %s\n%s", r.code, p.Verdict, p.Engine, p.Address, tc.code, tc.verdict, r.stdout)
			}
			if p.Resource != nil || len(p.Evidence) < 2 || p.Evidence[0].Sent == "" || p.Evidence[1].Received == "" {
				t.Errorf("want the PRELOGIN sent and the reply received as evidence, and no resource:\n%s", r.stdout)
			}
			text := probeCommand(t, nil, nil, "--engine", "sqlserver", addr)
			if text.code != tc.code || !strings.Contains(text.stdout, "Verdict:  "+tc.verdict+"\n") ||
				!strings.Contains(text.stdout, "Evidence:\n  1. ") || !strings.Contains(text.stdout, "     sent      1201002f") {
				t.Errorf("text: exit %d\n%s", text.code, text.stdout)
			}
		})
	}
}

// Timeouts and closed connections are inconclusive (exit 3), never a crash
// nor exit 1.
func TestProbeInconclusive(t *testing.T) {
	silent := serve(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	hangsUp := serve(t, func(net.Conn) {})
	for _, tc := range []struct {
		name, engine, addr, reason string
	}{
		{"no answer", "sqlserver", silent, "no answer within 300ms"},
		{"closed at once", "postgres", hangsUp, "closed the connection"},
		{"nothing listening", "sqlserver", closedAddr(t), "connection refused"},
		{"MySQL, by design", "mysql", hangsUp, "MySQL/MariaDB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, p := probeJSON(t, nil, nil, "--engine", tc.engine, "--timeout", "300ms", tc.addr)
			if r.code != ExitInconclusive || p.Verdict != "inconclusive" || !strings.Contains(p.Reason, tc.reason) || p.Evidence == nil {
				t.Errorf("exit %d: %s %q, want 3 inconclusive mentioning %q\n%s", r.code, p.Verdict, p.Reason, tc.reason, r.stdout)
			}
		})
	}
	r := probeCommand(t, nil, nil, "--engine", "mariadb", "--timeout", "300ms", hangsUp)
	if r.code != ExitInconclusive || !strings.Contains(r.stdout, "Verify:   forcessl explain (the parameter group's require_secure_transport)") {
		t.Errorf("MariaDB text must point to the API check: exit %d\n%s", r.code, r.stdout)
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The well-known port picks the engine when --engine is absent. A short
// timeout: whether anything listens there does not matter.
func TestProbeEngineFromPort(t *testing.T) {
	for port, want := range map[string]string{"1433": "sqlserver", "5432": "postgres", "3306": "mysql"} {
		_, p := probeJSON(t, nil, nil, "--timeout", "300ms", "127.0.0.1:"+port)
		if p.Engine != want {
			t.Errorf("port %s: engine %q, want %q", port, p.Engine, want)
		}
	}
}

func TestProbeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "one HOST:PORT"},
		{[]string{"127.0.0.1:1", "127.0.0.1:2"}, "one HOST:PORT"},
		{[]string{"127.0.0.1:15432"}, "say which with --engine"},
		{[]string{"db.example.com"}, "not HOST:PORT"},
		{[]string{"--engine", "oracle", "127.0.0.1:1521"}, `--engine: "oracle" is not one of sqlserver, postgres, mysql, mariadb`},
		{[]string{"--format", "xml", "127.0.0.1:5432"}, `--format: "xml" is not one of text, json`},
		{[]string{"--timeout", "0s", "127.0.0.1:5432"}, "positive duration"},
		{[]string{"--timeout", "soon", "127.0.0.1:5432"}, `--timeout: "soon" is not a duration`},
		{[]string{"--account", mototest.Account, "127.0.0.1:5432"}, "go with --instance"},
		{[]string{"--instance", "a", "--cluster", "b"}, "not both"},
		{[]string{"--instance", "a", "127.0.0.1:5432"}, "not both"},
		{[]string{"--instance", "a", "--engine", "postgres"}, "comes from the RDS API"},
		{[]string{"--instance", "a", "--account", "nope"}, "must be an account ID"},
	} {
		r := probeCommand(t, nil, nil, tc.args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("probe %v: exit %d, stdout %q, stderr %q; want 2 mentioning %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
	r := command(t, nil, "probe", "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "1433 sqlserver, 5432 postgres, 3306 mysql") || !strings.Contains(r.stdout, "--instance ID") {
		t.Errorf("--help: exit %d\n%s", r.code, r.stdout)
	}
}

// The real PostgreSQL server (internal/pgtest), through the command:
// hostssl only is what rds.force_ssl=1 sets (exit 0), host lets plaintext
// in (exit 1). Skipped without PostgreSQL unless FORCESSL_REQUIRE_POSTGRES=1.
func TestProbeAgainstRealPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	for _, tc := range []struct {
		name, hba, verdict, sqlstate string
		code                         int
	}{
		{"hostssl only", pgtest.HBAHostSSL, "enforced", "28000", ExitOK},
		{"host", pgtest.HBAHost, "not-enforced", "", ExitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := srv.SetHBA(tc.hba); err != nil {
				t.Fatal(err)
			}
			r, p := probeJSON(t, nil, nil, "--engine", "postgres", "--user", pgtest.Superuser, srv.Addr)
			if r.code != tc.code || p.Verdict != tc.verdict || p.SQLState != tc.sqlstate {
				t.Errorf("exit %d, %s SQLSTATE %q; want %d %s %q\n%s\nserver log:\n%s", r.code, p.Verdict, p.SQLState,
					tc.code, tc.verdict, tc.sqlstate, r.stdout, srv.Log())
			}
			text := probeCommand(t, nil, nil, "--engine", "postgres", srv.Addr)
			if text.code != tc.code || !strings.Contains(text.stdout, `StartupMessage without TLS (protocol 3.0, user "postgres"`) {
				t.Errorf("text: exit %d\n%s", text.code, text.stdout)
			}
		})
	}
}

// probeEstate: a SQL Server and a PostgreSQL instance, an Aurora
// PostgreSQL cluster of two, and a MySQL instance, all with master user
// admin.
func probeEstate(t *testing.T) {
	t.Helper()
	moto.Reset(t)
	c := rds.NewFromConfig(moto.Config(t))
	mototest.CreateInstance(t, c, "orders", "sqlserver-se", "", nil)
	mototest.CreateInstance(t, c, "ledger", "postgres", "", nil)
	mototest.CreateInstance(t, c, "shop", "mysql", "", nil)
	mototest.EnsureClusterGroup(t, c, "aurora-pg", "aurora-postgresql15")
	mototest.CreateCluster(t, c, "payments", "aurora-postgresql", "15.4", "aurora-pg", 2, nil)
}

// --instance and --cluster take the endpoint, port, engine and user from
// the API and probe them as they are: moto's host names do not resolve, so
// the verdict is inconclusive, and the JSON says what was resolved.
func TestProbeResolvesThroughTheAPI(t *testing.T) {
	probeEstate(t)
	for _, tc := range []struct {
		args                 []string
		kind, engine, wireAs string
		port                 string
	}{
		{[]string{"--instance", "ledger"}, "instance", "postgres", "postgres", "5432"},
		{[]string{"--instance", "orders"}, "instance", "sqlserver-se", "sqlserver", "1433"},
		{[]string{"--instance", "shop"}, "instance", "mysql", "mysql", "3306"},
		{[]string{"--instance", "payments-2"}, "instance", "aurora-postgresql", "postgres", "5432"},
		{[]string{"--cluster", "payments"}, "cluster", "aurora-postgresql", "postgres", "5432"},
	} {
		args := append([]string{"--timeout", "1s", "--account", mototest.Account, "--region", mototest.Region}, tc.args...)
		r, p := probeJSON(t, nil, nil, args...)
		res := p.Resource
		if res == nil {
			t.Errorf("%v: no resource in\n%s", tc.args, r.stdout)
			continue
		}
		if res.Kind != tc.kind || res.ID != tc.args[1] || res.Account != mototest.Account || res.Region != mototest.Region ||
			res.Engine != tc.engine || res.MasterUsername != "admin" || !strings.HasSuffix(res.Address, ":"+tc.port) {
			t.Errorf("%v: resource %+v", tc.args, *res)
		}
		if p.Engine != tc.wireAs || p.Address != res.Address {
			t.Errorf("%v: probed %s at %s, want %s at %s", tc.args, p.Engine, p.Address, tc.wireAs, res.Address)
		}
		if r.code != ExitInconclusive || p.Verdict != "inconclusive" {
			t.Errorf("%v: exit %d %s, want 3 inconclusive for moto's host name\n%s", tc.args, r.code, p.Verdict, r.stdout)
		}
	}
	r := probeCommand(t, nil, nil, "--timeout", "1s", "--instance", "shop")
	if !strings.Contains(r.stdout, "DB instance shop in "+mototest.Account+"/"+mototest.Region) ||
		!strings.Contains(r.stdout, "Verify:   forcessl explain --account "+mototest.Account+" --region "+mototest.Region+" shop") {
		t.Errorf("text for a MySQL instance:\n%s", r.stdout)
	}
}

// With the endpoint redirected to loopback stand-ins, the resolved engine
// and master user name are what goes on the wire.
func TestProbeResolvedEndpointOnTheWire(t *testing.T) {
	probeEstate(t)
	sql := &redirect{to: tdsResponder(t, encryptReq)}
	r, p := probeJSON(t, nil, sql, "--instance", "orders")
	if r.code != ExitOK || p.Verdict != "enforced" || len(sql.asked) == 0 || sql.asked[0] != p.Resource.Address {
		t.Errorf("orders: exit %d %s, dialled %v\n%s", r.code, p.Verdict, sql.asked, r.stdout)
	}
	addr, users := pgResponder(t)
	for _, tc := range []struct {
		args []string
		user string
	}{
		{[]string{"--instance", "ledger"}, "admin"},
		{[]string{"--cluster", "payments"}, "admin"},
		{[]string{"--instance", "ledger", "--user", "app_reader"}, "app_reader"},
	} {
		r, p := probeJSON(t, nil, &redirect{to: addr}, tc.args...)
		if r.code != ExitFindings || p.Verdict != "not-enforced" {
			t.Errorf("%v: exit %d %s\n%s", tc.args, r.code, p.Verdict, r.stdout)
		}
		select {
		case u := <-users:
			if u != tc.user {
				t.Errorf("%v: the start-up named user %q, want %q", tc.args, u, tc.user)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%v: no start-up reached the stand-in", tc.args)
		}
	}
}

// A member account is read through its remediation role, as explain reads
// it; an account forcessl may not enter is a configuration error, and a
// resource that is not there is inconclusive (exit 3, not 1).
func TestProbeMemberAccountAndMissingResource(t *testing.T) {
	probeEstate(t)
	const member = "210987654321"
	mototest.CreateInstance(t, rds.NewFromConfig(moto.ConfigAs(t, member, mototest.Region)), "remote", "postgres", "", nil)
	moto.Role(t, member, "forcessl-remediation")
	roled := map[string]string{config.EnvMemberRoleName: "forcessl-remediation"}
	_, p := probeJSON(t, roled, nil, "--timeout", "1s", "--account", member, "--instance", "remote")
	if p.Resource == nil || p.Resource.Account != member || p.Resource.Engine != "postgres" {
		t.Errorf("member instance: %+v", p)
	}
	if r := probeCommand(t, nil, nil, "--account", member, "--instance", "remote"); r.code != ExitUsage ||
		!strings.Contains(r.stderr, "FORCESSL_MEMBER_ROLE_NAME is not set") {
		t.Errorf("no member role: exit %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--instance", "nosuch"}, {"--cluster", "nosuch"}} {
		r, p := probeJSON(t, nil, nil, args...)
		if r.code != ExitInconclusive || p.Verdict != "inconclusive" || !strings.Contains(p.Reason, "nosuch in "+mototest.Account) ||
			p.Resource == nil || p.Resource.ID != "nosuch" || p.Resource.Kind != args[0][2:] {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// memberRDS answers DescribeDBInstances with an Aurora member that leaves
// MasterUsername out, and DescribeDBClusters with its cluster, which
// carries it. Every other call panics through the nil embedded interface.
type memberRDS struct {
	dispatch.RDS
}

func (memberRDS) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{{DBInstanceIdentifier: aws.String("payments-2"),
		Engine: aws.String("aurora-postgresql"), DBClusterIdentifier: aws.String("payments"),
		Endpoint: &rdstypes.Endpoint{Address: aws.String("payments-2.example"), Port: aws.Int32(6432)}}}}, nil
}

func (memberRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	if aws.ToString(in.DBClusterIdentifier) != "payments" {
		return nil, errors.New("asked for the wrong cluster")
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{{DBClusterIdentifier: aws.String("payments"),
		Engine: aws.String("aurora-postgresql"), Endpoint: aws.String("payments.cluster.example"), MasterUsername: aws.String("dba")}}}, nil
}

func TestProbeMemberUserFromItsCluster(t *testing.T) {
	ep := endpoint{ID: "payments-2"}
	if err := describeInstance(context.Background(), memberRDS{}, &ep); err != nil {
		t.Fatal(err)
	}
	if ep.MasterUsername != "dba" || ep.Address != "payments-2.example:6432" || ep.Engine != "aurora-postgresql" {
		t.Errorf("%+v", ep)
	}
}
