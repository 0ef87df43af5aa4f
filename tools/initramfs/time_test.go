package initramfs

import "time"

var time0 = time.Unix(12345, 0)
