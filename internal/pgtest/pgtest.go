// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in a
// temporary directory, TLS with a self-signed certificate, scram-sha-256, a
// free loopback port, pg_hba.conf swapped at will. Tests only: production
// code never imports it.
//
// It runs Debian's server binaries (the postgresql package, in
// /usr/lib/postgresql/<version>/bin). Without them a test skips with a
// message, unless FORCESSL_REQUIRE_POSTGRES=1 (set by .ci/run) makes that a
// failure, so CI can never pass without the real server.
package pgtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// RequireEnv set to "1" turns a missing PostgreSQL into a test failure.
const RequireEnv = "FORCESSL_REQUIRE_POSTGRES"

// Superuser is the role initdb creates; its password is never given to a
// probe.
const Superuser = "postgres"

// pg_hba.conf contents for loopback clients.
const (
	// HBAHostSSL accepts TLS connections only: what rds.force_ssl=1 makes
	// RDS write.
	HBAHostSSL = "hostssl all all 127.0.0.1/32 scram-sha-256\n"
	// HBAHost accepts connections with or without TLS.
	HBAHost = "host all all 127.0.0.1/32 scram-sha-256\n"
)

// SelfSignedPEM makes a throwaway ECDSA certificate and key for
// 127.0.0.1 and localhost, valid for a day.
func SelfSignedPEM() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "forcessl-probe-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), nil
}
