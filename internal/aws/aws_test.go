package aws_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/test/awsserver"
	"k8s.io/client-go/discovery"
)

const region = "eu-central-1"

func clients(t *testing.T, s *awsserver.Server) *aws.Clients {
	t.Helper()
	// The environment says another region: config.yaml's must win.
	t.Setenv("AWS_REGION", "us-west-2")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	c, err := aws.New(context.Background(), aws.Options{Region: region, Endpoint: s.URL, Credentials: awsserver.Credentials(), MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func denied(t *testing.T, err error, action string) {
	t.Helper()
	var d *aws.DeniedError
	if !errors.As(err, &d) || d.Action != action {
		t.Fatalf("want denied %s, got %v", action, err)
	}
	if !strings.Contains(err.Error(), `"`+action+`"`) {
		t.Errorf("the error does not name the permission: %v", err)
	}
}

func TestIdentity(t *testing.T) {
	s := awsserver.Start(t, region)
	c := clients(t, s)
	ctx := context.Background()
	id, err := c.Identity(ctx)
	if err != nil || id.Account != s.Account || id.ARN != s.ARN {
		t.Fatalf("identity: %+v %v", id, err)
	}
	// Throttled, then a server error: the SDK retries and succeeds.
	s.Fail("sts:GetCallerIdentity", 400, 500)
	before := len(s.Calls())
	if _, err := c.Identity(ctx); err != nil {
		t.Fatalf("after transient failures: %v", err)
	}
	if n := len(s.Calls()) - before; n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	s.Deny("sts:GetCallerIdentity")
	_, err = c.Identity(ctx)
	denied(t, err, "sts:GetCallerIdentity")
}

// TestWrongRegionIsRejected: the server checks the signature's region, so
// a client signing for another region fails.
func TestWrongRegionIsRejected(t *testing.T) {
	s := awsserver.Start(t, "ap-south-1")
	c := clients(t, s)
	if _, err := c.Identity(context.Background()); err == nil || !strings.Contains(err.Error(), "region") {
		t.Fatalf("want a region mismatch, got %v", err)
	}
}

func TestCluster(t *testing.T) {
	s := awsserver.Start(t, region)
	s.AddCluster(awsserver.Cluster{Name: "hub", Status: "ACTIVE", Endpoint: "https://hub.example.test", Version: "1.34", CA: []byte("-----BEGIN CERTIFICATE-----\n")})
	c := clients(t, s)
	ctx := context.Background()
	cl, err := c.Cluster(ctx, "hub")
	if err != nil || cl.Status != "ACTIVE" || cl.Endpoint != "https://hub.example.test" || string(cl.CA) != "-----BEGIN CERTIFICATE-----\n" || !strings.Contains(cl.ARN, region) {
		t.Fatalf("cluster: %+v %v", cl, err)
	}
	if _, err := c.Cluster(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "EKS cluster nope does not exist in "+region) {
		t.Errorf("missing cluster: %v", err)
	}
	s.Fail("eks:DescribeCluster", 429)
	if _, err := c.Cluster(ctx, "hub"); err != nil {
		t.Errorf("after throttling: %v", err)
	}
	s.Deny("eks:DescribeCluster")
	_, err = c.Cluster(ctx, "hub")
	denied(t, err, "eks:DescribeCluster")
}

func TestHostedZone(t *testing.T) {
	s := awsserver.Start(t, region)
	s.AddZone(awsserver.Zone{ID: "Z0PARENT", Name: "example.test."})
	s.AddZone(awsserver.Zone{ID: "Z0HUB", Name: "hub.example.test."})
	s.AddZone(awsserver.Zone{ID: "Z0OTHER", Name: "other.test."})
	c := clients(t, s)
	ctx := context.Background()
	for _, ok := range []struct{ zone, domain string }{{"Z0HUB", "hub.example.test"}, {"Z0PARENT", "apps.example.test"}, {"Z0PARENT", "example.test"}} {
		if err := c.CheckHostedZone(ctx, ok.zone, ok.domain); err != nil {
			t.Errorf("%s for %s: %v", ok.zone, ok.domain, err)
		}
	}
	for _, bad := range []struct{ zone, domain string }{{"Z0OTHER", "hub.example.test"}, {"Z0MISSING", "hub.example.test"}} {
		if err := c.CheckHostedZone(ctx, bad.zone, bad.domain); err == nil || !strings.Contains(err.Error(), "route53_hosted_zone_id") {
			t.Errorf("%s for %s: %v", bad.zone, bad.domain, err)
		}
	}
	s.Fail("route53:ListHostedZonesByName", 400, 503)
	if err := c.CheckHostedZone(ctx, "Z0HUB", "hub.example.test"); err != nil {
		t.Errorf("after throttling and a 503: %v", err)
	}
	s.Deny("route53:ListHostedZonesByName")
	denied(t, c.CheckHostedZone(ctx, "Z0HUB", "hub.example.test"), "route53:ListHostedZonesByName")
}

func TestSecretsLifecycle(t *testing.T) {
	s := awsserver.Start(t, region)
	c := clients(t, s)
	ctx := context.Background()
	sec := aws.Secret{Name: "hub/config", Value: `{"a":"1","b":{"c":"2"}}`, Tags: map[string]string{"project": "fleetup"}, KMSKeyID: "alias/platform"}

	s.Fail("secretsmanager:DescribeSecret", 500)
	if a, err := c.Diff(ctx, sec); err != nil || a != aws.SecretCreated {
		t.Fatalf("diff before create: %s %v", a, err)
	}
	s.Fail("secretsmanager:CreateSecret", 429)
	if a, err := c.Sync(ctx, sec); err != nil || a != aws.SecretCreated {
		t.Fatalf("create: %s %v", a, err)
	}
	v, tags, kms, ok := s.SecretValue("hub/config")
	if !ok || v != sec.Value || tags["project"] != "fleetup" || kms != "alias/platform" {
		t.Fatalf("stored: %q %v %q", v, tags, kms)
	}
	// The same document in another key order is unchanged: no write.
	sec.Value = `{"b": {"c": "2"}, "a": "1"}`
	before := len(s.Calls())
	if a, err := c.Sync(ctx, sec); err != nil || a != aws.SecretUnchanged {
		t.Fatalf("second sync: %s %v", a, err)
	}
	for _, call := range s.Calls()[before:] {
		if call != "secretsmanager:DescribeSecret" && call != "secretsmanager:GetSecretValue" {
			t.Errorf("an unchanged secret was written: %s", call)
		}
	}
	// A changed value is put, after a throttled first attempt.
	sec.Value = `{"a":"changed"}`
	s.Fail("secretsmanager:PutSecretValue", 400)
	if a, err := c.Sync(ctx, sec); err != nil || a != aws.SecretUpdated {
		t.Fatalf("update: %s %v", a, err)
	}
	if v, _, _, _ := s.SecretValue("hub/config"); v != sec.Value {
		t.Errorf("after update: %q", v)
	}
	// Deleted with the recovery window, then synced again: restored.
	if err := c.DeleteSecret(ctx, "hub/config", 7, false); err != nil {
		t.Fatal(err)
	}
	if !s.ScheduledForDeletion("hub/config") {
		t.Fatal("not scheduled for deletion")
	}
	if err := c.DeleteSecret(ctx, "hub/config", 7, false); err != nil {
		t.Errorf("second scheduled delete: %v", err)
	}
	if a, err := c.Sync(ctx, sec); err != nil || a != aws.SecretRestored {
		t.Fatalf("sync of a deleted secret: %s %v", a, err)
	}
	if err := c.DeleteSecret(ctx, "hub/config", 0, true); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := s.SecretValue("hub/config"); ok {
		t.Error("force delete left the secret")
	}
	if err := c.DeleteSecret(ctx, "hub/config", 0, true); err != nil {
		t.Errorf("delete of an absent secret: %v", err)
	}
	s.Deny("secretsmanager:CreateSecret")
	_, err := c.Sync(ctx, sec)
	denied(t, err, "secretsmanager:CreateSecret")
	if strings.Contains(err.Error(), "changed") {
		t.Errorf("the error shows the value: %v", err)
	}
}

// TestCreateRaceConverges: a secret created by someone else between the
// check and the create (ResourceExistsException) is then updated.
func TestCreateRaceConverges(t *testing.T) {
	s := awsserver.Start(t, region)
	c := clients(t, s)
	ctx := context.Background()
	if _, err := c.Sync(ctx, aws.Secret{Name: "x", Value: `{"v":"1"}`}); err != nil {
		t.Fatal(err)
	}
	// Simulate the race through the SDK: CreateSecret on an existing name.
	_, err := c.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: sdkaws.String("x"), SecretString: sdkaws.String(`{"v":"2"}`)})
	if err == nil || !strings.Contains(err.Error(), "ResourceExistsException") {
		t.Fatalf("want ResourceExistsException, got %v", err)
	}
}

func TestToken(t *testing.T) {
	s := awsserver.Start(t, region)
	c := clients(t, s)
	ctx := context.Background()
	tok, err := c.Token(ctx, "hub")
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := strings.CutPrefix(tok.Value, "k8s-aws-v1.")
	if !ok || strings.ContainsAny(raw, "=+/") {
		t.Fatalf("token shape: %q", tok.Value)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" || q.Get("X-Amz-Expires") != "60" || !slices.Contains(strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), "x-k8s-aws-id") || !strings.Contains(q.Get("X-Amz-Credential"), "/"+region+"/sts/") {
		t.Errorf("presigned URL: %s", u)
	}
	if d := time.Until(tok.Expires); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("token expires in %v, want 15m", d)
	}
	// Replayed as the cluster's authenticator does: GET with the header.
	replay := func(cluster string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
		if cluster != "" {
			req.Header.Set("x-k8s-aws-id", cluster)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := replay("hub"); code != 200 || !strings.Contains(body, "<Arn>"+s.ARN+"</Arn>") {
		t.Errorf("replay: %d %s", code, body)
	}
	if code, _ := replay("other-cluster"); code != 403 {
		t.Errorf("replay for another cluster: %d, want 403", code)
	}
	if code, _ := replay(""); code != 403 {
		t.Errorf("replay without the cluster header: %d, want 403", code)
	}
}

// TestRESTConfigSendsToken: requests to the cluster carry a fresh EKS token.
func TestRESTConfigSendsToken(t *testing.T) {
	s := awsserver.Start(t, region)
	c := clients(t, s)
	var got string
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.4"}`))
	}))
	defer api.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	cfg := c.RESTConfig(context.Background(), aws.Cluster{Name: "hub", Endpoint: api.URL, CA: ca})
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.ServerVersion(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "Bearer k8s-aws-v1.") {
		t.Errorf("Authorization: %q", got)
	}
}

// TestNoCredentials: with no credentials anywhere (no keys, no profile
// files, no instance role), a call says what is missing and the ways to
// give it, not the SDK's chain of attempts.
func TestNoCredentials(t *testing.T) {
	s := awsserver.Start(t, region)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c, err := aws.New(context.Background(), aws.Options{Region: region, Endpoint: s.URL, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"identity": func() error { _, err := c.Identity(context.Background()); return err },
		"cluster":  func() error { _, err := c.Cluster(context.Background(), "hub"); return err },
	} {
		err := call()
		var ce *aws.CredentialsError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: want a CredentialsError, got %v", name, err)
		}
		for _, want := range []string{"no AWS credentials found", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "--target kubeconfig"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error does not say %q: %v", name, want, err)
			}
		}
		if strings.Contains(err.Error(), "IMDS") {
			t.Errorf("%s: the SDK's chain shows: %v", name, err)
		}
	}
}
