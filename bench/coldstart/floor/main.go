// Command floor is the SDK floor of the remediator's cold start: it links
// every AWS SDK package the remediator links (their package init is what
// Go cannot defer) and the aws-lambda-go runtime, then only reads and
// decodes the event file, as the minimal program does. The remediator's
// own cost is what it adds over this. bench/coldstart's test keeps the
// list in step with the remediator's dependencies.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/organizations"
	_ "github.com/aws/aws-sdk-go-v2/service/rds"
	_ "github.com/aws/aws-sdk-go-v2/service/scheduler"
	_ "github.com/aws/aws-sdk-go-v2/service/securityhub"
	_ "github.com/aws/aws-sdk-go-v2/service/sns"
	_ "github.com/aws/aws-sdk-go-v2/service/sqs"
	_ "github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	b, err := os.ReadFile(os.Args[len(os.Args)-1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ev["detail-type"])
}
