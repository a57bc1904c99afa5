package policy

import "time"

// CurrentCAs are the RDS certificate authorities that are current: the
// ones FORCESSL_CA may name, and the ones a resource's server certificate
// should chain to. rds-ca-2019 expired on 2024-08-22 (RDS User Guide,
// UsingWithRDS.SSL-certificate-rotation; shared/reference/09 section 3).
var CurrentCAs = []string{"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}

// KnownCAs are the RDS CA certificates and when each expires, for when
// DescribeCertificates does not answer: from the AWS CLI's
// describe-certificates example (aws/aws-cli
// awscli/examples/rds/describe-certificates.rst) and the RDS User Guide
// ("rds-ca-2019 ... expired in August, 2024").
var KnownCAs = map[string]time.Time{
	"rds-ca-2019":       time.Date(2024, 8, 22, 17, 8, 50, 0, time.UTC),
	"rds-ca-2015":       time.Date(2020, 3, 5, 0, 0, 0, 0, time.UTC),
	"rds-ca-rsa2048-g1": time.Date(2061, 5, 24, 0, 0, 0, 0, time.UTC),
	"rds-ca-rsa4096-g1": time.Date(2121, 5, 24, 0, 0, 0, 0, time.UTC),
	"rds-ca-ecc384-g1":  time.Date(2121, 5, 24, 0, 0, 0, 0, time.UTC),
}
