package policy

// CurrentCAs are the RDS certificate authorities that are current: the
// ones FORCESSL_CA may name, and the ones a resource's server certificate
// should chain to. rds-ca-2019 expired on 2024-08-22 (RDS User Guide,
// UsingWithRDS.SSL-certificate-rotation; shared/reference/09 section 3).
var CurrentCAs = []string{"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}
