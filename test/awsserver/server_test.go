package awsserver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/fleetup/fleetup/test/awsserver"
)

func client(s *awsserver.Server, creds aws.CredentialsProvider) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL), Credentials: creds})
}

func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// TestRejects: unsigned, badly signed and malformed requests get AWS's
// errors; none reaches an operation.
func TestRejects(t *testing.T) {
	s := awsserver.Start(t, "eu-west-3")
	resp, err := http.Post(s.URL, "application/x-amz-json-1.1", strings.NewReader(`{"SecretId":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	wrong := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: awsserver.AccessKeyID, SecretAccessKey: "not-the-secret"}, nil
	})
	_, err = client(s, wrong).ListSecrets(context.Background(), &secretsmanager.ListSecretsInput{})
	if code(err) != "InvalidSignatureException" {
		t.Errorf("bad signature: %v", err)
	}
	if len(s.Calls()) != 0 {
		t.Errorf("rejected requests reached operations: %v", s.Calls())
	}
	c := client(s, awsserver.Credentials())
	if _, err := c.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("missing secret: %v", err)
	}
	c.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("a/one"), SecretString: aws.String("{}")})
	if _, err := c.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("a/one"), SecretString: aws.String("{}")}); code(err) != "ResourceExistsException" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := c.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("a/one"), RecoveryWindowInDays: aws.Int64(3)}); code(err) != "InvalidParameterException" {
		t.Errorf("3-day window: %v", err)
	}
}

func TestListSecrets(t *testing.T) {
	s := awsserver.Start(t, "eu-west-3")
	c := client(s, awsserver.Credentials())
	ctx := context.Background()
	for _, n := range []string{"hub/config", "hub/github-app", "other/config"} {
		if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("hub/github-app")})
	out, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"hub/"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecretList) != 1 || aws.ToString(out.SecretList[0].Name) != "hub/config" {
		t.Errorf("list: %+v", out.SecretList)
	}
	if _, err := c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("hub/github-app")}); err != nil {
		t.Fatal(err)
	}
	if out, _ := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); len(out.SecretList) != 3 {
		t.Errorf("after restore: %d secrets", len(out.SecretList))
	}
}
