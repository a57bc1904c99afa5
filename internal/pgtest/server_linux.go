package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Linux only: the harness runs Debian's server binaries, as an unprivileged
// account when we are root, with Pdeathsig as a safety net.

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	// Addr is the server's loopback host:port.
	Addr string

	bin, base, data string
	cred            *syscall.Credential // nil unless we run as root
	cmd             *exec.Cmd
	exited          chan struct{}
	log             syncBuffer
}

// Start makes a cluster of the newest PostgreSQL found, starts it with TLS
// on a free loopback port and a pg_hba.conf of HBAHost, and stops it when
// the test ends. Without server binaries it skips t, or fails it when
// RequireEnv is "1". Starting takes about three seconds.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := serverBin()
	switch {
	case err != nil && os.Getenv(RequireEnv) == "1":
		t.Fatalf("%s=1 but %v (run .ci/postgres.sh)", RequireEnv, err)
	case err != nil:
		t.Skipf("skipping: %v (install Debian's postgresql package, e.g. with .ci/postgres.sh)", err)
	}
	s, err := start(bin)
	if err != nil {
		t.Fatalf("starting PostgreSQL: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// Log is everything the server has logged so far.
func (s *Server) Log() string { return s.log.String() }

// serverBin finds the bin directory of the newest PostgreSQL with server
// binaries: Debian's /usr/lib/postgresql/<version>/bin, else initdb on PATH.
func serverBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) under /usr/lib/postgresql/*/bin or on PATH")
}

func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64) // "15", "9.6"
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// start makes a cluster in a fresh temporary directory and starts it. As
// root it runs everything as an unprivileged account, since initdb and
// postgres refuse to run as root.
func start(bin string) (_ *Server, err error) {
	s := &Server{bin: bin, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			s.stop()
			err = fmt.Errorf("%w\nserver log:\n%s", err, s.log.String())
		}
	}()
	if os.Geteuid() == 0 {
		if s.cred, err = unprivileged(); err != nil {
			return s, err
		}
	}
	// The base directory is 0755 so the unprivileged account can reach the
	// data and socket directories it owns inside it.
	if s.base, err = os.MkdirTemp("", "forcessl-pg-"); err != nil {
		return s, err
	}
	s.data = filepath.Join(s.base, "data")
	sock, pwfile := filepath.Join(s.base, "sock"), filepath.Join(s.base, "pwfile")
	if err = os.Chmod(s.base, 0o755); err != nil {
		return s, err
	}
	for _, d := range []string{s.data, sock} {
		if err = s.own(d, os.Mkdir(d, 0o700)); err != nil {
			return s, err
		}
	}
	if err = s.own(pwfile, os.WriteFile(pwfile, []byte("test-only-superuser-password\n"), 0o600)); err != nil {
		return s, err
	}
	if err = s.run("initdb", "-D", s.data, "-U", Superuser, "--auth=scram-sha-256", "--pwfile="+pwfile,
		"--no-locale", "-E", "UTF8", "--no-sync"); err != nil {
		return s, err
	}
	certPEM, keyPEM, err := SelfSignedPEM()
	if err != nil {
		return s, err
	}
	for name, b := range map[string][]byte{"server.crt": certPEM, "server.key": keyPEM} {
		p := filepath.Join(s.data, name)
		if err = s.own(p, os.WriteFile(p, b, 0o600)); err != nil {
			return s, err
		}
	}
	port, err := freePort()
	if err != nil {
		return s, err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
max_connections = 20
shared_buffers = 16MB
fsync = off
lc_messages = 'C'
`, port, sock)
	if err = appendFile(filepath.Join(s.data, "postgresql.conf"), conf); err != nil {
		return s, err
	}
	if err = os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(HBAHost), 0o600); err != nil {
		return s, err
	}
	return s, s.launch()
}

// launch runs postgres as our child rather than through "pg_ctl start", so
// Pdeathsig kills it even if the test binary dies without reaching its
// cleanup.
func (s *Server) launch() error {
	s.cmd = s.command("postgres", "-D", s.data)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	// postmaster.pid's eighth line becomes "ready" once connections are
	// accepted (the same signal pg_ctl -w waits for).
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-s.exited:
			return errors.New("postgres exited during start-up")
		default:
		}
		pid, _ := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
		if lines := strings.Split(string(pid), "\n"); len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready" {
			return nil
		}
	}
	return errors.New("postgres not ready after 60s")
}

// SetHBA replaces pg_hba.conf and reloads. A reload is asynchronous, so it
// waits for the postmaster's "received SIGHUP" log line: the postmaster
// handles the reload before accepting any later connection.
func (s *Server) SetHBA(hba string) error {
	if err := os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	const reloaded = "received SIGHUP, reloading configuration files"
	before := strings.Count(s.log.String(), reloaded)
	if err := s.run("pg_ctl", "reload", "-D", s.data); err != nil {
		return err
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if log := s.log.String(); strings.Count(log, reloaded) > before {
			if strings.Contains(log[strings.LastIndex(log, reloaded):], "pg_hba.conf was not reloaded") {
				return fmt.Errorf("the server rejected pg_hba.conf:\n%s", log)
			}
			return nil
		}
	}
	return errors.New("no reload seen in the server log after 20s")
}

func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		if err := s.run("pg_ctl", "stop", "-D", s.data, "-m", "immediate", "-w"); err != nil {
			_ = s.cmd.Process.Kill()
		}
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
		}
	}
	if s.base != "" {
		_ = os.RemoveAll(s.base)
	}
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.base // the unprivileged account may not reach our working directory
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "HOME=" + s.base}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func (s *Server) run(name string, args ...string) error {
	if out, err := s.command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// own hands a path just created (err is the creation's result) to the
// account the server runs as.
func (s *Server) own(path string, err error) error {
	if err != nil || s.cred == nil {
		return err
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

// unprivileged picks an existing account rather than creating one: nobody,
// or the postgres account the Debian package makes.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"nobody", "postgres"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil && uid != 0 {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
		}
	}
	return nil, errors.New("running as root and found neither a nobody nor a postgres account to run PostgreSQL as")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// syncBuffer collects the server's log from the goroutines exec starts.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
