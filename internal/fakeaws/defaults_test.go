package fakeaws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Where the fake's defaults come from. A default the fake gets wrong makes
// every test built on it prove the wrong thing (Aurora MySQL's
// require_secure_transport was static here while the Aurora guide says no
// reboot is needed), so each attribute of each default names its source: a
// documentation page, or "unverified" (then no test may rest on it as a
// fact about AWS).
const (
	srcSQLServerSSL = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/SQLServer.Concepts.General.SSL.Using.html" // "The rds.force_ssl parameter is static"; off (0) by default
	srcCiphers      = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/SQLServer.Ciphers.html"                    // default | enabled | disabled; set with ApplyMethod=pending-reboot
	srcAuroraPG     = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html"      // rds.force_ssl defaults to 0
	srcRDSPG        = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html"      // rds.force_ssl 1 by default from PostgreSQL 15
	srcAuroraMySQL  = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html"           // require_secure_transport OFF by default; "You don't need to reboot your DB cluster"
	unverified      = "unverified"
)

type sourced struct{ v, src string }

type defaultRow struct {
	value, applyType, allowed sourced
}

var defaultSources = map[string]map[string]defaultRow{
	"FamilyDefaults (SQL Server)": {
		"rds.force_ssl": {sourced{"0", srcSQLServerSSL}, sourced{"static", srcSQLServerSSL},
			sourced{"", unverified}}, // the page names the values 0 and 1, not the AllowedValues RDS lists
		"max degree of parallelism": {sourced{"", unverified}, sourced{"dynamic", unverified}, sourced{"", unverified}}, // a bystander, not TLS
		"rds.tls10":                 {sourced{"default", srcCiphers}, sourced{"static", srcCiphers}, sourced{"default,enabled,disabled", srcCiphers}},
		"rds.tls11":                 {sourced{"default", srcCiphers}, sourced{"static", srcCiphers}, sourced{"default,enabled,disabled", srcCiphers}},
		"rds.rc4":                   {sourced{"default", srcCiphers}, sourced{"static", srcCiphers}, sourced{"default,enabled,disabled", srcCiphers}},
		"rds.3des168":               {sourced{"default", srcCiphers}, sourced{"static", srcCiphers}, sourced{"default,enabled,disabled", srcCiphers}},
	},
	"AuroraPostgresDefaults": {
		// The apply type is not settled in AWS's documentation: static is
		// the case that needs the reboot.
		"rds.force_ssl": {sourced{"0", srcAuroraPG}, sourced{"static", unverified}, sourced{"0,1", unverified}},
		"log_statement": {sourced{"", unverified}, sourced{"dynamic", unverified}, sourced{"", unverified}},
	},
	"MultiAZPostgresDefaults": {
		"rds.force_ssl": {sourced{"1", srcRDSPG}, sourced{"static", unverified}, sourced{"0,1", unverified}},
		"log_statement": {sourced{"", unverified}, sourced{"dynamic", unverified}, sourced{"", unverified}},
	},
	"AuroraMySQLDefaults": {
		"require_secure_transport": {sourced{"OFF", srcAuroraMySQL}, sourced{"dynamic", srcAuroraMySQL},
			sourced{"ON,OFF", unverified}}, // the guide spells the values ON and OFF; the AllowedValues string itself is not shown
		"time_zone": {sourced{"", unverified}, sourced{"dynamic", unverified}, sourced{"", unverified}},
	},
}

func TestFakeDefaultsHaveASource(t *testing.T) {
	fakes := map[string]map[string]Param{
		"FamilyDefaults (SQL Server)": FamilyDefaults(),
		"AuroraPostgresDefaults":      AuroraPostgresDefaults(),
		"MultiAZPostgresDefaults":     MultiAZPostgresDefaults(),
		"AuroraMySQLDefaults":         AuroraMySQLDefaults(),
	}
	for set, params := range fakes {
		table, ok := defaultSources[set]
		if !ok {
			t.Errorf("%s has no table of sources", set)
			continue
		}
		for name, p := range params {
			row, ok := table[name]
			if !ok {
				t.Errorf("%s %s: no source for %+v", set, name, p)
				continue
			}
			for _, c := range []struct {
				attr string
				got  string
				want sourced
			}{{"value", p.Value, row.value}, {"apply type", p.ApplyType, row.applyType}, {"allowed values", p.AllowedValues, row.allowed}} {
				if c.got != c.want.v {
					t.Errorf("%s %s: %s %q, its source (%s) says %q", set, name, c.attr, c.got, c.want.src, c.want.v)
				}
				if c.want.src != unverified && !strings.HasPrefix(c.want.src, "https://docs.aws.amazon.com/") {
					t.Errorf("%s %s %s: source %q is neither a documentation page nor %q", set, name, c.attr, c.want.src, unverified)
				}
			}
		}
		for name := range table {
			if _, ok := params[name]; !ok {
				t.Errorf("%s: the table names %s, which the fake no longer has", set, name)
			}
		}
	}
	for set := range defaultSources {
		if _, ok := fakes[set]; !ok {
			t.Errorf("the table has %s, which the test does not check", set)
		}
	}
}

// The fake reports the defaults as DescribeDBClusterParameters does: the
// default groups and a group created in the family alike.
func TestFakeReportsDefaultsAsListed(t *testing.T) {
	f := New()
	if _, err := f.CreateDBClusterParameterGroup(context.Background(), &rds.CreateDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String("made"), DBParameterGroupFamily: aws.String("aurora-mysql8.0")}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{DefaultAuroraMySQLGroup, "made"} {
		out, err := f.DescribeDBClusterParameters(context.Background(), &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, p := range out.Parameters {
			if aws.ToString(p.ParameterName) == "require_secure_transport" {
				got = fmt.Sprintf("%s %s %s", aws.ToString(p.ParameterValue), aws.ToString(p.ApplyType), aws.ToString(p.AllowedValues))
			}
		}
		if got != "OFF dynamic ON,OFF" {
			t.Errorf("%s: require_secure_transport %q", g, got)
		}
	}
}
