package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

const versionUsage = `forcessl version

Prints the version of this binary (the module version Go recorded at build
time: the tag, or a pseudo-version naming the commit), the source revision
and its time, and the Go toolchain. The same as "forcessl --version".`

func defineVersion(_ *flagSet) action {
	return func(_ context.Context, env Env, args []string) int {
		if code, bad := noArgs(env, "version", args); bad {
			return code
		}
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			bi = nil
		}
		fmt.Fprint(env.Stdout, versionText(env.Version, bi))
		return ExitOK
	}
}

// versionText is what "forcessl --version" prints:
//
//	forcessl v1.4.0
//	revision 9422c04e1f0c… 2026-12-07T23:10:00Z (modified)
//	go1.26.8 linux/amd64
//
// override (set at link time with -ldflags -X) wins over the module
// version, which Go records from the VCS tag or as a pseudo-version, and
// which is "(devel)" when the build had no VCS information. The revision
// line is left out when Go recorded none.
func versionText(override string, bi *debug.BuildInfo) string {
	version := override
	settings := map[string]string{}
	goVersion := runtime.Version()
	if bi != nil {
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
	}
	if version == "" || version == "(devel)" {
		version = "devel"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "forcessl %s\n", version)
	if rev := settings["vcs.revision"]; rev != "" {
		line := "revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += " " + t
		}
		if settings["vcs.modified"] == "true" {
			line += " (modified)"
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "%s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
