// faultpath.go: which handler resolved a fault, by our name and Linux's.
// The fault path records it (FaultStats.LastPath; the tracer records it in
// each fault's end event), and the shell's fault command names it.

// trapctx: process context only

package mm

// FaultPath is the handler that resolved a fault.
type FaultPath uint32

// The fault paths (mm/fault.go, mm/huge.go).
const (
	PathNone          FaultPath = iota // no fault resolved yet
	PathZeroPage                       // doAnonymousPage: a read maps the zero page
	PathAnonymousPage                  // doAnonymousPage: a write maps a new page
	PathReadFault                      // doReadFault
	PathCowFault                       // doCowFault
	PathSharedFault                    // doSharedFault
	PathWpPageShared                   // doWpPage → wpPageShared
	PathWpPageCopy                     // doWpPage → wpPageCopy
	PathSpurious                       // nothing to do: the entry allows the access
	PathHugeAnon                       // createHugePMD: a new anonymous huge page
	PathHugeFile                       // createHugePMD: the page cache's huge page
	PathHugeWP                         // hugePMDFault: a write to a read-only huge PMD
	numFaultPaths
)

var faultPathNames = [numFaultPaths]string{
	"none",
	"doAnonymousPage (do_anonymous_page), the zero page",
	"doAnonymousPage (do_anonymous_page)",
	"doReadFault (do_read_fault)",
	"doCowFault (do_cow_fault)",
	"doSharedFault (do_shared_fault)",
	"doWpPage → wpPageShared (do_wp_page → wp_page_shared)",
	"doWpPage → wpPageCopy (do_wp_page → wp_page_copy)",
	"spurious (the entry allows the access)",
	"createHugePMD (do_huge_pmd_anonymous_page)",
	"createHugePMD (do_set_pmd)",
	"hugePMDFault (do_huge_pmd_wp_page)",
}

// String names the handler, ours then Linux's.
func (p FaultPath) String() string {
	if p < numFaultPaths {
		return faultPathNames[p]
	}
	return "?"
}

// Short is the handler's Linux name alone, for trace events.
func (p FaultPath) Short() string {
	return faultPathShort[min(p, numFaultPaths)]
}

var faultPathShort = [numFaultPaths + 1]string{"none", "do_anonymous_page(zero)", "do_anonymous_page", "do_read_fault",
	"do_cow_fault", "do_shared_fault", "wp_page_shared", "wp_page_copy", "spurious", "do_huge_pmd_anonymous_page",
	"do_set_pmd", "do_huge_pmd_wp_page", "?"}
