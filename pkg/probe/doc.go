// Package probe asks a database endpoint, over the wire and without any
// credential, whether it demands TLS. It complements the RDS API view (the
// parameter group says what should be in force; the probe shows what the
// server actually does right now).
//
// The probe never logs in and never sends a password:
//
//   - SQL Server: one PRELOGIN offering no encryption (MS-TDS 2.2.6.5); the
//     ENCRYPTION byte of the reply is the answer. A server that closes a
//     plaintext PRELOGIN is tried once more with TDS 8.0 "strict" (TLS first).
//   - PostgreSQL: a plaintext StartupMessage; an authentication request means
//     plaintext is accepted, SQLSTATE 28000 is confirmed over TLS.
//   - MySQL/MariaDB: only the greeting is read. Those servers check
//     require_secure_transport after authentication, so no credential-less
//     probe can tell; the verdict is always Inconclusive.
//
// Probe never returns an error: every failure is an Inconclusive Result with a
// reason a person can act on, and the bytes sent and seen as evidence.
package probe
