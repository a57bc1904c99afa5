package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// dial opens a TCP connection whose reads and writes end at the probe's
// deadline, or at once when the caller cancels ctx, so no read can block past
// Target.Timeout.
func (p *prober) dial() (net.Conn, error) {
	conn, err := p.t.Dialer.DialContext(p.ctx, "tcp", p.t.Address)
	if err != nil {
		return nil, err
	}
	if dl, ok := p.ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(p.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return &ctxConn{Conn: conn, stop: stop}, nil
}

type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// tlsConfig is used only to learn whether the server completes a TLS
// handshake. Skipping verification is acceptable here and nowhere else: the
// probe sends no credential and no data over the session, so an impostor
// could learn nothing, and RDS endpoints present certificates from a CA the
// prober may not have installed; verifying would turn "speaks TLS" into
// "speaks TLS with a CA we trust", a different question.
func (p *prober) tlsConfig(alpn ...string) *tls.Config {
	return &tls.Config{
		ServerName:         p.t.ServerName,
		InsecureSkipVerify: true, // see above: no credential is ever sent
		MinVersion:         tls.VersionTLS12,
		NextProtos:         alpn,
	}
}

// startTLS runs a client handshake on conn and records what was agreed.
func (p *prober) startTLS(conn net.Conn, alpn ...string) (*tls.Conn, error) {
	tc := tls.Client(conn, p.tlsConfig(alpn...))
	if err := tc.HandshakeContext(p.ctx); err != nil {
		return nil, err
	}
	st := tc.ConnectionState()
	subject := "none"
	if len(st.PeerCertificates) > 0 {
		subject = st.PeerCertificates[0].Subject.String()
	}
	p.note("TLS handshake completed: %s, ALPN %q, server certificate subject %q (not verified: nothing secret is sent)",
		tls.VersionName(st.Version), st.NegotiatedProtocol, subject)
	return tc, nil
}

// errMalformed marks replies that do not follow the protocol; everything
// else returned by the readers is an I/O error.
var errMalformed = errors.New("malformed reply")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// closedByPeer reports whether err means the server hung up (orderly or
// not), as opposed to a timeout or a refused connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// describe turns an I/O error into the end of a sentence for Result.Reason,
// e.g. "no answer within 10s while reading the PRELOGIN reply".
func (p *prober) describe(doing string, err error) string {
	switch {
	case errors.Is(p.ctx.Err(), context.Canceled):
		return fmt.Sprintf("the probe was cancelled while %s", doing)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(p.ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s while %s", p.t.Timeout, doing)
	case errors.Is(err, errMalformed):
		return fmt.Sprintf("%v while %s", err, doing)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused by %s", p.t.Address)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the server closed the connection in the middle of a message while %s", doing)
	case closedByPeer(err):
		return fmt.Sprintf("the server closed the connection while %s", doing)
	}
	return fmt.Sprintf("%v while %s", err, doing)
}
