package main
import (
 _ "github.com/aws/aws-lambda-go/lambda"
 _ "github.com/aws/aws-sdk-go-v2/config"
 _ "github.com/aws/aws-sdk-go-v2/service/rds"
 _ "github.com/aws/aws-sdk-go-v2/service/sns"
 _ "github.com/aws/aws-sdk-go-v2/service/sqs"
 _ "github.com/aws/aws-sdk-go-v2/service/sts"
 _ "github.com/aws/aws-sdk-go-v2/service/scheduler"
)
func main(){}
