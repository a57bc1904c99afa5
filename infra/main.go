// Command infra is the forcessl CDK app: `npx cdk synth|deploy` from the
// repository root runs it (see cdk.json).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		fmt.Fprintf(os.Stderr, "forcessl: invalid context:\n%v\n", err)
		jsii.Close()
		os.Exit(1)
	}
	root, err := FindModuleRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "forcessl:", err)
		jsii.Close()
		os.Exit(1)
	}
	NewForceSSLStack(app, "ForceSSL", &ForceSSLStackProps{Settings: settings, ModuleRoot: root})
	app.Synth(nil)
}
