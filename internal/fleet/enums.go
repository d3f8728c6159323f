package fleet

import (
	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// Flavour is how a cluster is made, chosen by the provider layer.
type Flavour string

// The flavours of the fleet-cluster chart.
const (
	FlavourEKS      Flavour = "eks"
	FlavourInMemory Flavour = "in-memory"
	FlavourExisting Flavour = "existing"
)

// Flavours lists every flavour, for messages.
func Flavours() []string {
	return []string{string(FlavourEKS), string(FlavourInMemory), string(FlavourExisting)}
}

// CapacityType is CAPA's AWSManagedMachinePool capacity type.
type CapacityType string

// TaintEffect is CAPA's spelling of a taint effect.
type TaintEffect string

// AMIType is an EKS managed node group AMI type.
type AMIType string

// amiTypes are the values CAPA v2.13's AWSManagedMachinePool CRD accepts.
var amiTypes = []string{
	"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA", "AL2023_x86_64_NEURON",
	"BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64_NVIDIA", "BOTTLEROCKET_ARM_64_NVIDIA",
	"BOTTLEROCKET_x86_64_FIPS", "BOTTLEROCKET_ARM_64_FIPS",
	"AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64", "CUSTOM",
	"WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64", "WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64",
}

// enum decodes a string of a fixed set. null is accepted and leaves the
// zero value: in a value file it deletes what a lower layer set.
func enum(n *yaml.Node, allowed []string) (string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return "", nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!str" {
		return "", &decode.ValueError{Msg: "got " + n.Value + " (not a string)", Expected: "one of " + joinOr(allowed)}
	}
	return decode.Enum(n, allowed)
}

// DecodeYAML implements decode.Unmarshaler.
func (f *Flavour) DecodeYAML(n *yaml.Node) error {
	s, err := enum(n, Flavours())
	*f = Flavour(s)
	return err
}

// DecodeYAML implements decode.Unmarshaler.
func (c *CapacityType) DecodeYAML(n *yaml.Node) error {
	s, err := enum(n, []string{"onDemand", "spot"})
	*c = CapacityType(s)
	return err
}

// DecodeYAML implements decode.Unmarshaler.
func (e *TaintEffect) DecodeYAML(n *yaml.Node) error {
	s, err := enum(n, []string{"no-schedule", "no-execute", "prefer-no-schedule"})
	*e = TaintEffect(s)
	return err
}

// DecodeYAML implements decode.Unmarshaler.
func (a *AMIType) DecodeYAML(n *yaml.Node) error {
	s, err := enum(n, amiTypes)
	*a = AMIType(s)
	return err
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := ""
	for i, v := range s[:len(s)-1] {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + " or " + s[len(s)-1]
}
