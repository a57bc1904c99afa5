package notify

import (
	"fmt"
	"strings"

	"github.com/forcessl/forcessl/pkg/plan"
)

// BundleURL is the region's RDS trust bundle: every current RDS CA, what a
// client verifies the server certificate against (RDS User Guide,
// UsingWithRDS.SSL: truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem).
func BundleURL(region string) string {
	return fmt.Sprintf("https://truststore.pki.rds.amazonaws.com/%s/%s-bundle.pem", region, region)
}

// clientGuidance says, per engine, exactly what a client must use once
// plaintext is refused: the trust bundle and the connection settings that
// verify the server (shared/reference/09 section 4). Clients in "prefer"
// modes keep working but silently accept an unverified server.
func clientGuidance(engine, region string) []string {
	bundle := BundleURL(region)
	file := region + "-bundle.pem"
	var lines []string
	e := strings.ToLower(engine)
	if strings.HasPrefix(e, "sqlserver") {
		lines = []string{
			"Connection string: Encrypt=True;TrustServerCertificate=False (JDBC: encrypt=true;trustServerCertificate=false)",
			"Trust the RDS CAs: import " + bundle + " into the client's certificate store (or the JDBC trustStore)",
			"sqlcmd: use -N (encrypt) and not -C (which trusts any certificate)",
		}
	} else if strings.Contains(e, "postgres") {
		lines = []string{
			"libpq / psql: sslmode=verify-full sslrootcert=" + file + " (download " + bundle + ")",
			"JDBC: ssl=true&sslmode=verify-full&sslrootcert=" + file + "; sslmode=prefer or allow still connect without verifying the server",
		}
	} else if strings.Contains(e, "mysql") || e == "mariadb" {
		lines = []string{
			"mysql client: --ssl-mode=VERIFY_IDENTITY --ssl-ca=" + file + " (download " + bundle + ")",
			"Connectors: sslMode=VERIFY_IDENTITY with the bundle as the trust store; PREFERRED falls back to plaintext silently",
		}
		if e == "mariadb" {
			lines = append(lines, "MariaDB client: --ssl --ssl-verify-server-cert --ssl-ca="+file)
		}
	} else {
		lines = []string{"Use TLS and verify the server certificate against " + bundle}
	}
	return lines
}

// guides reports whether a notice carries the client guidance: what is
// about to refuse plaintext, or what forcessl just set to.
func (n Notice) guides() bool {
	return n.Outcome == plan.OutcomeRemediated || n.Outcome == plan.OutcomeHeadsUp
}
