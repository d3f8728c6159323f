package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// writeSyntheticFleet writes a fleet of n clusters under dir/fleet: 5
// profiles, 3 environments, 100 customers, 20 sites, 2 providers; every
// tenth cluster overrides a value.
func writeSyntheticFleet(tb testing.TB, dir string, n int) {
	tb.Helper()
	writeSyntheticFleetProfiles(tb, dir, n, 5)
}

// writeSyntheticFleetProfiles is writeSyntheticFleet with another number
// of profiles; cluster i uses profile p<i%profiles>.
func writeSyntheticFleetProfiles(tb testing.TB, dir string, n, profiles int) {
	tb.Helper()
	put := func(rel, data string) {
		p := filepath.Join(dir, "fleet", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	put("fleet.yaml", "layers: [environment, customer, site, provider]\n")
	for p := range profiles {
		put(fmt.Sprintf("profiles/p%d.yaml", p), fmt.Sprintf(`kubernetesVersion: "v1.3%d"
endpointAccess: {public: true, private: true}
nodePools:
  system: {instanceType: m7i.large, capacityType: onDemand, amiType: AL2023_x86_64_STANDARD, diskSize: 50, replicas: 2, scaling: {minSize: 2, maxSize: 3}, labels: {pool: system}}
  workers: {instanceType: m7i.xlarge, capacityType: onDemand, amiType: AL2023_x86_64_STANDARD, diskSize: 100, replicas: 2, scaling: {minSize: 2, maxSize: 6}}
  batch: {enabled: false, instanceType: c7i.2xlarge, capacityType: spot, replicas: 0, scaling: {minSize: 0, maxSize: 10}, taints: {batch: {value: "true", effect: no-schedule}}}
addons:
  cert-manager: {enabled: true}
  external-secrets: {enabled: true}
  external-dns: {enabled: true}
  envoy-gateway: {enabled: true}
  aws-load-balancer-controller: {enabled: false}
tags: {managed-by: fleetup, profile: p%d}
`, p%5, p))
	}
	for _, e := range []string{"dev", "staging", "prod"} {
		put("inventory/environment/"+e+".yaml", "nodePools:\n  workers:\n    scaling: {maxSize: 8}\ntags: {environment: "+e+"}\n")
	}
	for c := range 100 {
		put(fmt.Sprintf("inventory/customer/c%03d.yaml", c), fmt.Sprintf("tags: {customer: c%03d, cost-center: \"cc-%04d\"}\naddons: {external-dns: {enabled: %v}}\n", c, c, c%2 == 0))
	}
	for s := range 20 {
		put(fmt.Sprintf("inventory/site/s%02d.yaml", s), fmt.Sprintf("provider: {region: eu-central-%d}\ntags: {site: s%02d}\n", s%3+1, s))
	}
	put("inventory/provider/eks.yaml", "provider: {flavour: eks, roleARN: \"arn:aws:iam::111122223333:role/argocd\", identity: fleet}\n")
	put("inventory/provider/in-memory.yaml", "provider: {flavour: in-memory}\n")
	for i := range n {
		provider := "eks"
		if i%10 == 0 {
			provider = "in-memory"
		}
		data := fmt.Sprintf("name: cl-%05d\nprofile: p%d\nenvironment: %s\ncustomer: c%03d\nsite: s%02d\nprovider: %s\nwave: %d\n",
			i, i%profiles, []string{"dev", "staging", "prod"}[i%3], i%100, i%20, provider, i%5)
		if i%10 == 1 {
			data += "overrides:\n  nodePools:\n    workers:\n      scaling: {maxSize: 12}\n"
		}
		put(fmt.Sprintf("clusters/cl-%05d.yaml", i), data)
	}
}

// BenchmarkLoad10000Clusters: read, check and merge a fleet of 10,000
// clusters from disk, as `fleet validate` and `fleet render` do.
func BenchmarkLoad10000Clusters(b *testing.B) {
	dir := b.TempDir()
	writeSyntheticFleet(b, dir, 10000)
	fsys := DirFS(dir)
	ctx := context.Background()
	var live uint64
	cpu := cpuTime(b)
	for b.Loop() {
		f, err := Load(ctx, fsys, "fleet", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Clusters) != 10000 {
			b.Fatalf("%d clusters", len(f.Clusters))
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = max(live, ms.HeapAlloc)
		runtime.KeepAlive(f)
	}
	b.ReportMetric(float64(live)/(1<<20), "MiB-live")
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkMerge: one cluster's seven levels merged, the chart included.
func BenchmarkMerge(b *testing.B) {
	chart := mustTree(b, "kubernetesVersion: v1.32\nnodePools: {}\naddons: {}\ntags: {managed-by: null}\nprovider: {flavour: null}\n")
	files := []*Value{
		mustTree(b, "kubernetesVersion: v1.34\nnodePools: {system: {instanceType: m7i.large, scaling: {minSize: 2, maxSize: 3}}, workers: {instanceType: m7i.xlarge, scaling: {minSize: 2, maxSize: 6}}}\naddons: {cert-manager: {enabled: true}, external-dns: {enabled: true}}\ntags: {managed-by: fleetup}\n"),
		mustTree(b, "nodePools: {workers: {scaling: {maxSize: 8}}}\ntags: {environment: prod}\n"),
		mustTree(b, "tags: {customer: acme}\naddons: {external-dns: {enabled: false}}\n"),
		mustTree(b, "provider: {region: eu-central-1}\n"),
		mustTree(b, "provider: {flavour: eks, roleARN: x}\n"),
		mustTree(b, "cluster: {name: a, wave: 1}\nnodePools: {workers: {scaling: {maxSize: 12}}}\n"),
	}
	for b.Loop() {
		Merge(chart, files...)
	}
}

func mustTree(tb testing.TB, s string) *Value {
	tb.Helper()
	_, tree, errs := readValues("f.yaml", "f", []byte(s), true)
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	return tree
}
