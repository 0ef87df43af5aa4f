module retract

go 1.26.2

require (
	github.com/usbarmory/tamago v1.26.3
	golang.org/x/arch v0.33.0
)
