package policy

import "testing"

// OwnValueOK: a value forcessl writes where a forcessl group differs from
// its source: compliant, and no weaker than the source's.
func TestOwnValueOK(t *testing.T) {
	for _, tt := range []struct {
		engine, version, param, value, source string
		want                                  bool
	}{
		{"postgres", "16.4", ForceSSL, "1", "", true},
		{"postgres", "16.4", ForceSSL, "0", "1", false},
		{"postgres", "16.4", ForceSSL, "", "1", false}, // reset: unset counts as off
		{"aurora-mysql", "8.0", RequireSecureTransport, "ON", "OFF", true},
		{"postgres", "16.4", "ssl_min_protocol_version", "TLSv1.2", "TLSv1", true},
		{"postgres", "16.4", "ssl_min_protocol_version", "TLSv1.2", "TLSv1.3", false},
		{"postgres", "16.4", "ssl_min_protocol_version", "TLSv1.2", "", true},   // the default from 13 on is TLSv1.2
		{"postgres", "12.20", "ssl_min_protocol_version", "TLSv1.2", "", true},  // before 13 the default is TLSv1
		{"postgres", "16.4", "ssl_min_protocol_version", "", "TLSv1.2", true},   // reset to a default as strict
		{"postgres", "12.20", "ssl_min_protocol_version", "", "TLSv1.2", false}, // reset to TLSv1
		{"postgres", "16.4", "ssl_min_protocol_version", "SSLv3", "", false},    // unknown: never trusted
		{"postgres", "16.4", "ssl_max_protocol_version", "TLSv1.3", "", true},
		{"postgres", "16.4", "ssl_max_protocol_version", "TLSv1.2", "", false},
		{"postgres", "16.4", "ssl_max_protocol_version", "TLSv1.3", "TLSv1.1", true},
		{"mysql", "8.0.39", "tls_version", "TLSv1.2,TLSv1.3", "TLSv1,TLSv1.1,TLSv1.2", true},
		{"mysql", "8.0.39", "tls_version", "TLSv1.2,TLSv1.3", "TLSv1.3", false},
		{"mysql", "8.0.39", "tls_version", "TLSv1.1,TLSv1.2", "", false},
		{"sqlserver-se", "15.00", "rds.tls10", "disabled", "default", true},
		{"sqlserver-se", "15.00", "rds.tls10", "enabled", "disabled", false},
		{"sqlserver-se", "15.00", "rds.rc4", "default", "", false}, // "default" is enabled on older minors
		{"postgres", "16.4", "log_connections", "1", "0", false},   // not an own parameter
		{"oracle-ee", "19", ForceSSL, "1", "", false},              // not an engine forcessl writes
	} {
		if got := OwnValueOK(tt.engine, tt.version, tt.param, tt.value, tt.source); got != tt.want {
			t.Errorf("OwnValueOK(%s %s, %s=%q, source %q) = %v, want %v", tt.engine, tt.version, tt.param, tt.value, tt.source, got, tt.want)
		}
	}
}

func TestOwnFor(t *testing.T) {
	if got := OwnFor("postgres"); len(got) != 3 || got[0] != ForceSSL {
		t.Errorf("OwnFor(postgres) = %v", got)
	}
	if got := OwnFor("sqlserver-ee"); len(got) != 5 {
		t.Errorf("OwnFor(sqlserver-ee) = %v", got)
	}
	if got := OwnFor("oracle-ee"); got != nil {
		t.Errorf("OwnFor(oracle-ee) = %v", got)
	}
}
