package awsserver

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

const route53NS = "https://route53.amazonaws.com/doc/2013-04-01/"

// restXML is AWS REST-XML, as Route53 speaks it.
type restXML struct{}

func (restXML) action(r *http.Request, _ []byte) (string, error) {
	if r.Method == http.MethodGet && r.URL.Path == "/2013-04-01/hostedzonesbyname" {
		return "ListHostedZonesByName", nil
	}
	return "", fmt.Errorf("%s %s is not a Route53 operation this test server supports", r.Method, r.URL.Path)
}

type hostedZone struct {
	Id, Name, CallerReference string
	Config                    struct{ PrivateZone bool }
	ResourceRecordSetCount    int64
}

type zonesByName struct {
	XMLName     xml.Name     `xml:"ListHostedZonesByNameResponse"`
	Xmlns       string       `xml:"xmlns,attr"`
	HostedZones []hostedZone `xml:"HostedZones>HostedZone"`
	DNSName     string       `xml:",omitempty"`
	IsTruncated bool
	MaxItems    string
}

// serve lists zones in DNS name order from dnsname, as Route53 does.
func (restXML) serve(s *Server, _ string, r *http.Request, _ []byte) (any, *apiError) {
	q := r.URL.Query()
	from := strings.TrimSuffix(strings.ToLower(q.Get("dnsname")), ".")
	if q.Get("hostedzoneid") != "" && from == "" {
		return nil, errf(400, "InvalidInput", "hostedzoneid requires dnsname")
	}
	out := zonesByName{Xmlns: route53NS, DNSName: q.Get("dnsname"), MaxItems: "100"}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.zones {
		name := strings.TrimSuffix(strings.ToLower(z.Name), ".")
		if from != "" && name < from {
			continue
		}
		out.HostedZones = append(out.HostedZones, hostedZone{Id: "/hostedzone/" + z.ID, Name: name + ".", CallerReference: "fleetup-test"})
	}
	return out, nil
}

func (restXML) write(w http.ResponseWriter, _ string, out any) {
	w.Header().Set("Content-Type", "text/xml")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(out)
}

func (restXML) writeError(w http.ResponseWriter, e *apiError) { writeXMLError(w, e, route53NS) }
