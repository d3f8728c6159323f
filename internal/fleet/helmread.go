package fleet

import "sigs.k8s.io/yaml"

// helmRead reads a value file as Helm's chart loader does
// (loader.LoadValues): sigs.k8s.io/yaml, that is go-yaml v2's YAML 1.1
// turned into JSON, numbers as float64. Fleet files hold one document
// (decode.Parse refuses more), so the loader's document splitting and
// merging change nothing; reading directly spares the chart loader and the
// client-go it links. helm_test.go checks that both read the same.
func helmRead(data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}
