package bootstrap_test

import (
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
)

// TestOutside: on the shipped EKS config, uninstall names everything it
// leaves outside the cluster.
func TestOutside(t *testing.T) {
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(cfg, cat, &redact.Redactor{}, bootstrap.DescribeInstall)
	if err != nil {
		t.Fatal(err)
	}
	inv := &bootstrap.Inventory{LoadBalancers: []string{"envoy-gateway-system/envoy (a1b2.elb.example.test)"}, PVCs: []string{"db/data-0"}}
	out := strings.Join(bootstrap.Outside(p, inv, actions.RemoveOptions{KeepPVCs: true}), "\n")
	for _, want := range []string{
		"DNS records external-dns created under platform.example.com in Route53 hosted zone Z0123456789ABCDEFGHIJ",
		"cloud load balancer of Service envoy-gateway-system/envoy (a1b2.elb.example.test)",
		"PersistentVolumeClaims kept (--keep-pvcs): db/data-0",
		"AWS Secrets Manager secret cnoe-ref-impl/config in us-west-2: kept",
		"EKS cluster platform-hub: fleetup never creates or deletes it",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("outside list lacks %q:\n%s", want, out)
		}
	}
}
