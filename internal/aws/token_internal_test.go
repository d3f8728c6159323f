package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/test/awsserver"
)

// TestTokenRenewedBeforeExpiry: a cached token is used while it has more
// than 5 minutes left, and replaced once it has less.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	s := awsserver.Start(t, "eu-west-1")
	c, err := New(context.Background(), Options{Region: s.Region, Endpoint: s.URL, Credentials: awsserver.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	src := &tokenSource{clients: c, cluster: "hub", base: context.Background()}
	src.tok = Token{Value: "cached", Expires: time.Now().Add(6 * time.Minute)}
	if v, err := src.get(); err != nil || v != "cached" {
		t.Fatalf("fresh token not reused: %q %v", v, err)
	}
	src.tok.Expires = time.Now().Add(4 * time.Minute)
	v, err := src.get()
	if err != nil || !strings.HasPrefix(v, "k8s-aws-v1.") {
		t.Fatalf("expiring token not renewed: %q %v", v, err)
	}
	if time.Until(src.tok.Expires) < 14*time.Minute {
		t.Errorf("renewed token expires in %v", time.Until(src.tok.Expires))
	}
}
