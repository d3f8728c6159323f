package envtest

// GatewayAPICRDs are the Gateway API's standard-channel CRDs (Gateway,
// HTTPRoute, ...), as the Envoy Gateway chart installs them on a real hub.
func GatewayAPICRDs() []CRDSource {
	return []CRDSource{{Module: "sigs.k8s.io/gateway-api", VersionKey: "GATEWAY_API_VERSION", Dirs: []string{"config/crd/standard"}}}
}
