# Compose services must name an image version.
package bulkhead.compose.no_latest

import rego.v1

__rego_metadata__ := {
	"id": "ACME-DC-001",
	"title": "Compose service image without a version",
	"severity": "MEDIUM",
	"kinds": ["compose"],
}

deny contains msg if {
	some name, service in input.services
	image := service.image
	not contains(image, ":")
	msg := sprintf("service %s uses %s without a tag", [name, image])
}

deny contains msg if {
	some name, service in input.services
	endswith(service.image, ":latest")
	msg := sprintf("service %s uses %s", [name, service.image])
}
