# retract.py: gdb commands for looking at a stopped retract kernel, in the
# spirit of Linux's scripts/gdb (lx-ps, lx-dmesg, ...), written for this
# kernel's own data structures. Load it with
#
#     gdb -q build/kernel.elf -x tools/gdb/retract.py -ex 'target remote localhost:1234'
#
# (make debug prints that line) and type `help rt` or `apropos rt-`.
# docs/debugging.md describes every command with real output.
#
# Commands:  rt-cpus  rt-ps  rt-dmesg  rt-pt-walk  rt-translate  rt-frame
#            rt-mm  rt-rcu  rt-khugepaged
# Functions: $rt_percpu(name[, cpu])  $rt_current([cpu])
#
# How it reads the kernel: globals by their Go names through gdb's value
# API ('retract/mm/phys.Frames'), structures copied out of guest memory in
# one read and decoded with the DWARF types the Go linker emitted (so field
# offsets follow the source), physical memory through the direct map
# (physical address P is at 0xffff888000000000 + P in every address space),
# and each CPU's registers from QEMU's gdbstub, which shows every vCPU as a
# gdb thread. Nothing here writes to the guest.

import re

import gdb

DIRECT_MAP = 0xFFFF888000000000  # arch/amd64/layout.go: DirectMap (PML4 entry 273)
USER_END = 0x0000800000000000  # the lower half: user space
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
ADDR_MASK = 0x000FFFFFFFFFF000  # arch/amd64/pte.go: pteAddrMask
PTE_PROTNONE = 1 << 58  # mm/pte.go: PteProtNone

# arch/amd64/pte.go's entry bits, and the two software bits the kernel uses.
PTE_BITS = [
    (0, "P"), (1, "W"), (2, "U"), (3, "PWT"), (4, "PCD"), (5, "A"), (6, "D"),
    (7, "PS"), (8, "G"), (9, "COMMITTED"), (58, "PROTNONE"), (63, "NX"),
]
LEVEL_NAMES = {4: "PML4 (pgd)", 3: "PDPT (pud)", 2: "PD (pmd)  ", 1: "PT (pte)  "}
LEVEL_SPAN = {4: 1 << 39, 3: 1 << 30, 2: 1 << 21, 1: 1 << 12}


# ---------------------------------------------------------------- basics


def sym(name):
    """The global 'retract/NAME' (or a full Go name such as 'runtime.g')."""
    full = name if name.startswith(("retract/", "runtime.", "main.")) else "retract/" + name
    try:
        return gdb.parse_and_eval("'%s'" % full)
    except gdb.error as e:
        raise gdb.GdbError("no symbol %s in the kernel's symbols (%s)" % (full, e))


def gotype(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error as e:
        raise gdb.GdbError("no type %s in the kernel's symbols (%s)" % (name, e))


def inferior():
    inf = gdb.selected_inferior()
    if inf is None or inf.pid == 0 or not inf.threads():
        raise gdb.GdbError("no running kernel: attach first (target remote localhost:1234)")
    return inf


def read(addr, n):
    try:
        return bytes(inferior().read_memory(addr, n))
    except gdb.MemoryError:
        raise gdb.GdbError("cannot read %d bytes at %#x" % (n, addr))


def u64(addr):
    return int.from_bytes(read(addr, 8), "little")


def phys_read(pa, n):
    """n bytes at physical address pa, through the direct map."""
    return read(DIRECT_MAP + pa, n)


def phys_u64(pa):
    return int.from_bytes(phys_read(pa, 8), "little")


def fetch(v):
    """v copied out of guest memory in one read: field accesses on the
    result need no more round trips to the gdbstub."""
    if v.address is None:
        return v
    return at(int(v.address), v.type)


def at(addr, typ):
    """The value of type typ stored at addr, read in one go (a large one,
    like a CPU's area with its stacks, is read field by field as used)."""
    if typ.sizeof > 16384:
        return gdb.Value(addr).cast(typ.pointer()).dereference()
    return gdb.Value(read(addr, typ.sizeof), typ)


def num(v):
    """An integer from a Go value, looking through sync/atomic's wrappers
    (atomic.Uint64 is struct { _ noCopy; _ align64; v uint64 }) and
    summing the slots of mm's per-CPU counters (mm.Counter is
    struct { slots [MaxCPUs]struct { v atomic.Int64; ... } }, mm.UCounter
    struct { c mm.Counter })."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_STRUCT:
        names = [f.name for f in t.fields()]
        if "slots" in names:
            slots = v["slots"]
            lo, hi = slots.type.strip_typedefs().range()
            return sum(num(slots[i]["v"]) for i in range(lo, hi + 1))
        if names == ["c"]:
            return num(v["c"])
        return num(v["v"])
    if t.code == gdb.TYPE_CODE_BOOL:
        return 1 if bool(v) else 0
    return int(v)


def gostring(v):
    """A Go string value (struct { str *uint8; len int }) as Python text."""
    n = int(v["len"])
    if n == 0:
        return ""
    if n > 1 << 16:
        return "<string of %d bytes>" % n
    return read(int(v["str"]), n).decode("utf-8", "replace")


def string_at(addr):
    """The Go string whose header is at addr."""
    p, n = u64(addr), u64(addr + 8)
    if n == 0:
        return ""
    if n > 1 << 16:
        return "<string of %d bytes>" % n
    return read(p, n).decode("utf-8", "replace")


def slice_items(v, limit=1 << 16):
    """The elements of a Go slice value ({array, len, cap}), each fetched."""
    n = int(v["len"])
    if n <= 0:
        return []
    arr = int(v["array"])
    et = v["array"].type.target()
    sz = et.sizeof
    buf = read(arr, sz * min(n, limit))
    return [gdb.Value(buf[i * sz:(i + 1) * sz], et) for i in range(min(n, limit))]


def strings_of(v):
    """A Go []string or [N]string global as a Python list."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY:
        lo, hi = t.range()
        return [gostring(v[i]) for i in range(lo, hi + 1)]
    return [gostring(s) for s in slice_items(v)]


def map_items(m):
    """(key, value) pairs of a Go map (Go 1.24+ swiss tables): m is the map
    value, a pointer to the runtime's map header, whose DWARF type the Go
    linker synthesizes with the key and element types filled in."""
    if int(m) == 0:
        return
    hdr = m.dereference()
    dir_ptr = hdr["dirPtr"]
    dir_len = int(hdr["dirLen"])
    table_t = dir_ptr.type.target().target()  # table<K,V>
    group_ptr_t = table_t["groups"].type["data"].type  # *group[K,V]
    group_t = group_ptr_t.target()

    def group_slots(gaddr):
        g = at(gaddr, group_t)
        ctrl = int(g["ctrl"])
        slots = g["slots"]
        for i in range(8):  # internal/abi.MapGroupSlots
            if (ctrl >> (8 * i)) & 0x80 == 0:  # high bit clear: a full slot
                yield slots[i]["key"], slots[i]["elem"]

    if dir_len == 0:  # a small map: dirPtr is one group, or nil while empty
        if int(dir_ptr):
            yield from group_slots(int(dir_ptr))
        return
    seen = set()
    for t in range(dir_len):  # the directory: dir_len *table, a table may repeat
        taddr = u64(int(dir_ptr) + 8 * t)
        if taddr in seen or taddr == 0:
            continue
        seen.add(taddr)
        tab = at(taddr, table_t)
        data = int(tab["groups"]["data"])
        for gi in range(int(tab["groups"]["lengthMask"]) + 1):
            yield from group_slots(data + gi * group_t.sizeof)


def go_type_name(typ):
    """The name of the Go type whose runtime descriptor (internal/abi.Type)
    is at typ, e.g. "*mm.File": read from the module's type names."""
    try:
        abi_t = gdb.lookup_type("internal/abi.Type")
        d = at(typ, abi_t)
        str_off, tflag = int(d["Str"]), int(d["TFlag"])
    except gdb.error:
        str_off = int.from_bytes(read(typ + 40, 4), "little", signed=True)
        tflag = read(typ + 20, 1)[0]
    base = int(sym("runtime.firstmoduledata")["types"])
    p = base + str_off
    hdr = read(p, 11)
    n, shift, i = 0, 0, 1  # byte 0: flags; then the length as a varint
    while True:
        b = hdr[i]
        n |= (b & 0x7F) << shift
        i += 1
        if b & 0x80 == 0:
            break
        shift += 7
    name = read(p + i, n).decode("utf-8", "replace")
    if tflag & 2 and name.startswith("*"):  # abi.TFlagExtraStar
        name = name[1:]
    return name


def symbolize(addr):
    """NAME+0xOFF for a code address, or the address."""
    try:
        b = gdb.block_for_pc(addr)
        while b is not None and b.function is None:
            b = b.superblock
        if b is not None:
            off = addr - b.start
            return b.function.name + ("+%#x" % off if off else "")
    except (gdb.error, RuntimeError):
        pass
    try:
        s = gdb.execute("info symbol %#x" % addr, to_string=True).strip()
    except gdb.error:
        return "%#x" % addr
    m = re.match(r"^(\S+)(?: \+ (\d+))? in section", s)
    if not m:
        return "%#x" % addr
    return m.group(1) + ("+%#x" % int(m.group(2)) if m.group(2) else "")


def parse_int(s, what):
    try:
        return int(gdb.parse_and_eval(s))
    except (gdb.error, ValueError):
        pass
    try:
        return int(s, 0)
    except ValueError:
        raise gdb.GdbError("%s: not a number: %s" % (what, s))


def pte_flags(e):
    return " ".join(name for bit, name in PTE_BITS if e >> bit & 1)


def prot_string(p):
    return ("r" if p & 1 else "-") + ("w" if p & 2 else "-") + ("x" if p & 4 else "-")


# ---------------------------------------------------------------- CPUs


class CPUInfo:
    """One vCPU: its gdb thread and the kernel's per-CPU area."""

    def __init__(self, thread, cpu, area, regs):
        self.thread, self.cpu, self.area, self.regs = thread, cpu, area, regs


def cpu_areas():
    """(address of amd64.cpus[0], size of one CPU, count)."""
    cpus = sym("arch/amd64.cpus")
    lo, hi = cpus.type.strip_typedefs().range()
    return int(cpus[0].address), cpus[0].type.sizeof, hi - lo + 1


def area_index(gs, base, size, n):
    if base <= gs < base + size * n and (gs - base) % size == 0:
        return (gs - base) // size
    return None


def thread_regs():
    regs = {}
    for r in ("rip", "rsp", "eflags", "cs", "cr3", "fs_base", "gs_base", "k_gs_base"):
        try:
            regs[r] = int(gdb.parse_and_eval("$" + r)) & 0xFFFFFFFFFFFFFFFF
        except gdb.error:
            regs[r] = None
    return regs


def cpus():
    """Every vCPU, in CPU order. A vCPU is matched to its per-CPU area by
    GS base (the kernel keeps GS pointing at it in ring 0; in ring 3 it is
    in KERNEL_GS_BASE), else by the CPU number in QEMU's thread name."""
    inf = inferior()
    base, size, n = cpu_areas()
    cpu_t = sym("arch/amd64.cpus")[0].type
    keep = gdb.selected_thread()
    try:
        keep_frame = gdb.selected_frame()
    except gdb.error:
        keep_frame = None
    out = []
    try:
        for t in inf.threads():
            t.switch()
            regs = thread_regs()
            idx = None
            for r in ("gs_base", "k_gs_base"):
                if regs[r] is not None and idx is None:
                    idx = area_index(regs[r], base, size, n)
            if idx is None:
                m = re.search(r"CPU#(\d+)", getattr(t, "details", None) or "")
                idx = int(m.group(1)) if m else t.ptid[1] - 1
            area = at(base + idx * size, cpu_t) if 0 <= idx < n else None
            out.append(CPUInfo(t, idx, area, regs))
    finally:
        if keep is not None:
            keep.switch()
            if keep_frame is not None and keep_frame.is_valid():
                keep_frame.select()
    return sorted(out, key=lambda c: c.cpu)


def selected_cpu():
    """The CPUInfo of gdb's selected thread."""
    t = gdb.selected_thread()
    if t is None:
        inferior()
        raise gdb.GdbError("no thread selected")
    for c in cpus():
        if c.thread.num == t.num:
            return c
    raise gdb.GdbError("the selected thread is no CPU")


# ---------------------------------------------------------------- kernel objects


class Threads:
    """kernel/sched's thread table, read in one go."""

    def __init__(self):
        arr = sym("kernel/sched.threads")
        self.type = arr[0].type
        self.base = int(arr[0].address)
        self.size = self.type.sizeof
        self.high = int(sym("kernel/sched.high"))
        buf = read(self.base, self.size * self.high) if self.high > 0 else b""
        self.slots = [gdb.Value(buf[i * self.size:(i + 1) * self.size], self.type) for i in range(self.high)]
        try:
            self.states = strings_of(sym("kernel/sched.stateNames"))
        except gdb.GdbError:
            self.states = ["free", "runnable", "running", "blocked", "dead"]

    def index_of(self, addr):
        if addr >= self.base and (addr - self.base) % self.size == 0:
            i = (addr - self.base) // self.size
            if i < self.high:
                return i
        return None

    def state(self, t):
        s = int(t["state"])
        return self.states[s] if s < len(self.states) else str(s)


def mm_table():
    """{id: MM value} of every address space (mm.mms, by ID)."""
    mms = sym("mm.mms")
    lo, hi = mms.type.strip_typedefs().range()
    n = hi - lo + 1
    raw = read(int(mms.address), 8 * n)
    mm_t = gotype("retract/mm.MM")
    out = {}
    for i in range(1, n):
        p = int.from_bytes(raw[8 * i:8 * i + 8], "little")
        if p:
            out[i] = at(p, mm_t)
    return out


def processes():
    """kernel/proc's processes, by PID: dicts with pid, ppid, state, comm,
    mm (ID or None) and threads [(tid, state letter, cpu)]."""
    try:
        procs = sym("kernel/proc.procs")
    except gdb.GdbError:
        return {}
    proc_t = gotype("retract/kernel/proc.Process")
    names = ["alive", "zombie", "reaped"]
    out = {}
    for _, pv in map_items(procs):
        if int(pv) == 0:
            continue
        p = at(int(pv), proc_t)
        pid = int(p["PID"])
        ppid = 0
        if int(p["parent"]):
            ppid = int(p["parent"].dereference()["PID"])
        comm = "?"
        cp = num(p["comm"])
        if cp:
            comm = string_at(cp)
        mmid = None
        if int(p["mem"]):
            ref = p["mem"].dereference()
            if int(ref["m"]):
                mmid = int(ref["m"].dereference()["ID"])
        threads = []
        for tp in slice_items(p["threads"]):
            if int(tp) == 0:
                continue
            t = tp.dereference()
            st = num(t["state"])
            threads.append((int(t["TID"]), chr(st) if st else "R", num(t["Regs"]["ranOn"])))
        st = int(p["state"])
        out[pid] = dict(pid=pid, ppid=ppid, state=names[st] if st < len(names) else str(st),
                        comm=comm, mm=mmid, threads=threads)
    return out


def mm_owners(procs):
    """{mm ID: "pid N (comm)"} for the address spaces of processes."""
    own = {}
    for p in sorted(procs.values(), key=lambda p: p["pid"]):
        if p["mm"] is not None:
            own.setdefault(p["mm"], []).append("pid %d (%s)" % (p["pid"], p["comm"]))
    return {k: ", ".join(v) for k, v in own.items()}


def describe_cr3(cr3, mms, owners):
    pml4 = cr3 & ADDR_MASK
    for i, m in mms.items():
        if int(m["PML4"]) == pml4:
            s = "mm %d" % i
            if i in owners:
                s += ", " + owners[i]
            return s
    return "kernel tables"


class Frames:
    """mm/phys.Frames: the metadata of every physical frame."""

    def __init__(self):
        self.alloc = sym("mm/phys.Frames")
        fr = self.alloc["frames"]
        self.array = int(fr["array"])
        self.n = int(fr["len"])
        self.type = fr["array"].type.target()
        try:
            self.kinds = strings_of(sym("mm/phys.kindNames"))
        except gdb.GdbError:
            self.kinds = ["free", "reserved", "kernel", "goheap", "pagetable", "anon", "pagecache"]

    def meta(self, pfn):
        if not 0 <= pfn < self.n:
            raise gdb.GdbError("pfn %#x is outside the frame array (%#x frames)" % (pfn, self.n))
        return at(self.array + pfn * self.type.sizeof, self.type)

    def kind(self, f):
        k = int(f["kind"])
        return self.kinds[k] if k < len(self.kinds) else "kind %d" % k

    def head(self, pfn):
        """(head pfn, order) of the allocated block pfn is in, or None
        (the allocator's Head)."""
        f = self.meta(pfn)
        if int(f["flags"]) & 2:
            return pfn, int(f["order"])
        for order in range(1, 11):
            h = pfn & ~((1 << order) - 1)
            hf = self.meta(h)
            if int(hf["flags"]) & 2 and int(hf["order"]) >= order:
                return h, int(hf["order"])
        return None


def table_meta(frames, pa):
    f = frames.meta(pa >> PAGE_SHIFT)
    return f, "%s, owner mm %d, level %d, gen %d" % (frames.kind(f), num(f["Owner"]), num(f["Level"]), num(f["Gen"]))


def resolve_space(arg, what):
    """(CR3, description) for an optional MM-ID or CR3 argument; without
    one, the CR3 of the CPU gdb has selected."""
    mms = mm_table()
    owners = mm_owners(processes())
    if arg is None:
        c = selected_cpu()
        cr3 = c.regs["cr3"] & ADDR_MASK
        return cr3, "CPU %d's CR3 %#x (%s)" % (c.cpu, cr3, describe_cr3(cr3, mms, owners)), mms
    n = parse_int(arg, what)
    if 0 < n < 4096:
        if n not in mms:
            raise gdb.GdbError("%s: there is no mm %d (rt-mm lists them)" % (what, n))
        cr3 = int(mms[n]["PML4"])
        return cr3, "mm %d%s (PML4 %#x)" % (n, ", " + owners[n] if n in owners else "", cr3), mms
    cr3 = n & ADDR_MASK
    return cr3, "CR3 %#x (%s)" % (cr3, describe_cr3(cr3, mms, owners)), mms


def walk(cr3, va):
    """The page walk of va from the PML4 at cr3: a list of
    (level, table pa, index, entry), ending at the first entry that is not
    present or maps a page; and (page pa, page size) or None."""
    steps = []
    table = cr3 & ADDR_MASK
    for level in (4, 3, 2, 1):
        idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511
        e = phys_u64(table + 8 * idx)
        steps.append((level, table, idx, e))
        if not e & 1:
            return steps, None
        if level == 1 or (level in (2, 3) and e & (1 << 7)):
            size = LEVEL_SPAN[level]
            base = e & ADDR_MASK & ~(size - 1)
            return steps, (base, size)
        table = e & ADDR_MASK
    return steps, None


def deposits(frames, pd_pfn, limit=512):
    """The PFNs of the page tables deposited on a PD page for its huge
    PMDs: a list threaded through the frames' Deposit fields, from the PD
    frame's (mm/huge.go)."""
    out = []
    p = num(frames.meta(pd_pfn)["Deposit"])
    while p and len(out) < limit:
        out.append(p)
        p = num(frames.meta(p)["Deposit"])
    return out


def page_desc(frames, pfn):
    """'anon, refcount 1, mapcount 1' for the page at pfn (counts are on
    the head of its block)."""
    if pfn >= frames.n:
        return "not RAM"
    h = frames.head(pfn)
    f = frames.meta(pfn)
    s = frames.kind(f)
    if h is None:
        return s + ", in no allocated block"
    hf = frames.meta(h[0])
    s += ", refcount %d, mapcount %d" % (num(hf["Refcount"]), num(hf["Mapcount"]))
    if h[0] != pfn:
        s += " on the head %#x of its order-%d block" % (h[0], h[1])
    elif h[1]:
        s += ", an order-%d block" % h[1]
    try:
        if pfn == int(sym("mm.zeroPFN")):
            s += ", the shared zero page"
    except gdb.GdbError:
        pass
    return s


# ---------------------------------------------------------------- commands


class RtPrefix(gdb.Command):
    """Commands for looking at the retract kernel (tools/gdb/retract.py).

rt-cpus          every CPU: thread, preempt count, RCU nesting, IF, CR3
rt-ps            kernel threads (kernel/sched) and user processes (kernel/proc)
rt-dmesg [-raw] [N]           the console log kept in memory (kernel/console.Log)
rt-pt-walk ADDR [MM-ID|CR3]   the 4-level walk of ADDR, entries and table metadata
rt-translate ADDR [MM-ID|CR3] virtual to physical
rt-frame PFN | -pa ADDR       one frame's metadata (mm/phys.Frame)
rt-mm [ID]       address spaces and their VMAs
rt-rcu           grace periods, quiescent states, callbacks
rt-khugepaged    khugepaged's tunables and every collapse counter
Functions: $rt_percpu(NAME[, CPU]), $rt_current([CPU])."""

    def __init__(self):
        super().__init__("rt", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print(self.__doc__)


class RtCpus(gdb.Command):
    """Every CPU: the thread it runs, preempt count, RCU read-side nesting,
trap nesting, the interrupt flag, CR3 and whose tables those are, and
where it is (ring and RIP). One line per vCPU (gdb thread)."""

    def __init__(self):
        super().__init__("rt-cpus", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        th = Threads()
        mms = mm_table()
        owners = mm_owners(processes())
        g_t = None
        try:
            g_t = gotype("runtime.g")
        except gdb.GdbError:
            pass
        for c in cpus():
            r = c.regs
            state = ""
            m = re.search(r"\[(\w+)", getattr(c.thread, "details", None) or "")
            if m:
                state = ", " + m.group(1)
            line = "CPU %d (gdb thread %d%s):" % (c.cpu, c.thread.num, state)
            if c.area is None:
                print(line + " no per-CPU area")
                continue
            a = c.area
            if not int(a["Online"]) and c.cpu != 0:
                line += " offline,"
            ti = th.index_of(int(a["Thread"]))
            if ti is None:
                line += " thread ?"
            else:
                t = th.slots[ti]
                line += " thread %d%s" % (int(t["tid"]), " (idle)" if bool(t["idle"]) else "")
            ring = (r["cs"] or 0) & 3
            nest = int(a["Nesting"])
            if ring == 0 and nest == 0 and g_t is not None and r["fs_base"]:
                try:
                    gp = u64(r["fs_base"] - 8)
                    kernel_gs = {int(a["KernelG"]), int(a["EmergG"])}
                    if gp and gp not in kernel_gs and (ti is None or not bool(th.slots[ti]["idle"])):
                        goid = int(at(gp, g_t)["goid"])
                        line += ", goroutine %d" % goid if goid else ", on g0"
                except (gdb.GdbError, gdb.error):
                    pass
            line += ", preempt count %d, RCU nesting %d, trap nesting %d" % (
                int(a["PreemptCount"]), int(a["RCUNest"]), nest)
            if int(a["OnEmerg"]):
                line += " (on the emergency stack)"
            if r["eflags"] is not None:
                line += ", IF %s" % ("on" if r["eflags"] & (1 << 9) else "off")
            if r["cr3"] is not None:
                cr3 = r["cr3"] & ADDR_MASK
                line += ", CR3 %#x (%s)" % (cr3, describe_cr3(cr3, mms, owners))
            if r["rip"] is not None:
                line += ", ring %d at %s" % (ring, symbolize(r["rip"]) if ring == 0 else "%#x" % r["rip"])
            print(line)


class RtPs(gdb.Command):
    """The kernel's threads (kernel/sched's thread table: TID, state, CPU,
page tables, switches) and the user processes (kernel/proc: PID, parent,
state, name, address space and threads)."""

    def __init__(self):
        super().__init__("rt-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        th = Threads()
        mms = mm_table()
        procs = processes()
        owners = mm_owners(procs)
        used = [t for t in th.slots if int(t["state"]) != 0]
        print("kernel threads (kernel/sched): %d" % len(used))
        print("%5s %-9s %4s %-7s %9s  %s" % ("TID", "STATE", "CPU", "FLAGS", "SWITCHES", "CR3"))
        for t in used:
            cpu = int(t["cpu"])
            flags = []
            if bool(t["idle"]):
                flags.append("idle")
            if int(t["rcuNest"]):
                flags.append("rcu%d" % int(t["rcuNest"]))
            if int(t["preempt"]):
                flags.append("pc%d" % int(t["preempt"]))
            cr3 = int(t["CR3"])
            print("%5d %-9s %4s %-7s %9d  %s" % (
                int(t["tid"]), th.state(t), str(cpu) if cpu >= 0 else "-", ",".join(flags) or "-",
                int(t["Switches"]), "%#x (%s)" % (cr3, describe_cr3(cr3, mms, owners)) if cr3 else "kernel"))
        print("user processes (kernel/proc): %d" % len(procs))
        if procs:
            print("%5s %5s %-7s %-16s %4s  %s" % ("PID", "PPID", "STATE", "COMM", "MM", "THREADS (TID state cpu)"))
        for p in sorted(procs.values(), key=lambda p: p["pid"]):
            ts = " ".join("%d%s%s" % (tid, st, "@%d" % cpu if cpu >= 0 else "") for tid, st, cpu in p["threads"])
            print("%5d %5d %-7s %-16s %4s  %d: %s" % (
                p["pid"], p["ppid"], p["state"], p["comm"], p["mm"] if p["mm"] is not None else "-",
                len(p["threads"]), ts))


CSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


class RtDmesg(gdb.Command):
    """The console log: the last 64 KiB the kernel wrote to its console,
kept in memory (kernel/console.Log). rt-dmesg [-raw] [N]: the last N lines
(all by default); -raw keeps carriage returns and terminal escapes."""

    def __init__(self):
        super().__init__("rt-dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        raw = False
        last = None
        for w in gdb.string_to_argv(arg):
            if w == "-raw":
                raw = True
            else:
                last = parse_int(w, "rt-dmesg")
        log = sym("kernel/console.Log")
        head = num(log["Head"])
        buf = log["Buf"]
        size = buf.type.strip_typedefs().sizeof
        base = int(buf.address)
        n = min(head, size)
        start = (head - n) % size
        if start + n <= size:
            data = read(base + start, n)
        else:
            data = read(base + start, size - start) + read(base, start + n - size)
        text = data.decode("utf-8", "replace")
        if not raw:
            text = CSI_RE.sub("", text).replace("\r", "")
        lines = text.split("\n")
        if head > size and len(lines) > 1:
            lines = lines[1:]  # the oldest line lost its beginning
        if lines and lines[-1] == "":
            lines = lines[:-1]
        if last is not None:
            lines = lines[-last:] if last > 0 else []
        for l in lines:
            print(l)


class RtPtWalk(gdb.Command):
    """The page walk of a virtual address, read from physical memory:
rt-pt-walk ADDR [MM-ID|CR3]. Each level's table with its frame metadata
(kind, owner mm, level, generation: what the fault path's table check
compares), the entry's index, value and flags, and the page at the end.
Without a second argument, the tables of the CPU gdb has selected. A huge
PMD ends the walk with its 2 MiB page and the tables deposited on the PD."""

    def __init__(self):
        super().__init__("rt-pt-walk", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise gdb.GdbError("usage: rt-pt-walk ADDR [MM-ID|CR3]")
        va = parse_int(argv[0], "rt-pt-walk") & 0xFFFFFFFFFFFFFFFF
        cr3, desc, mms = resolve_space(argv[1] if len(argv) > 1 else None, "rt-pt-walk")
        frames = Frames()
        owner = num(frames.meta(cr3 >> PAGE_SHIFT)["Owner"])
        print("walk of %#x in %s" % (va, desc))
        steps, page = walk(cr3, va)
        for level, table, idx, e in steps:
            f, meta = table_meta(frames, table)
            print(("%s table %#x (%s) [%3d] = %#018x %s" % (LEVEL_NAMES[level], table, meta, idx, e, pte_flags(e))).rstrip())
            if va < USER_END:
                bad = []
                if frames.kind(f) != "pagetable":
                    bad.append("kind %s, not pagetable" % frames.kind(f))
                if num(f["Level"]) != level:
                    bad.append("level %d, not %d" % (num(f["Level"]), level))
                if num(f["Owner"]) != owner:
                    bad.append("owner mm %d, not mm %d" % (num(f["Owner"]), owner))
                if bad:
                    print("     !! this table's metadata says %s: freed or reused?" % "; ".join(bad))
        level, table, idx, e = steps[-1]
        if page is None:
            if e & PTE_PROTNONE and level == 1:
                pa = e & ADDR_MASK
                print("     not present (PROT_NONE keeps the page): frame %#x (%s)" % (pa, page_desc(frames, pa >> PAGE_SHIFT)))
            else:
                print("     not present: %#x is not mapped" % va)
            return
        base, size = page
        what = {1 << 12: "4 KiB page", 1 << 21: "2 MiB page", 1 << 30: "1 GiB page"}[size]
        pfn = base >> PAGE_SHIFT
        print("     -> %s at %#x (pfn %#x: %s), byte at %#x" % (what, base, pfn, page_desc(frames, pfn), base | (va & (size - 1))))
        if size == 1 << 21 and va < USER_END:
            deps = deposits(frames, steps[-1][1] >> PAGE_SHIFT)
            if deps:
                print("     tables deposited on this PD for splits (pgtable_trans_huge_deposit): %s" % ", ".join("%#x" % (d << PAGE_SHIFT) for d in deps))


class RtTranslate(gdb.Command):
    """Virtual to physical: rt-translate ADDR [MM-ID|CR3], through the page
tables of the CPU gdb has selected unless an mm or a CR3 is named."""

    def __init__(self):
        super().__init__("rt-translate", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise gdb.GdbError("usage: rt-translate ADDR [MM-ID|CR3]")
        va = parse_int(argv[0], "rt-translate") & 0xFFFFFFFFFFFFFFFF
        cr3, desc, _ = resolve_space(argv[1] if len(argv) > 1 else None, "rt-translate")
        steps, page = walk(cr3, va)
        if page is None:
            level, table, idx, e = steps[-1]
            print("%#x -> not mapped in %s: %s entry %d of table %#x is %#x" % (
                va, desc, LEVEL_NAMES[level].strip(), idx, table, e))
            return
        base, size = page
        pa = base | (va & (size - 1))
        e = steps[-1][3]
        print("%#x -> %#x in %s (%s page, entry %#x %s)" % (
            va, pa, desc, {1 << 12: "4 KiB", 1 << 21: "2 MiB", 1 << 30: "1 GiB"}[size], e, pte_flags(e)))


class RtFrame(gdb.Command):
    """One physical frame's metadata (mm/phys.Frame): rt-frame PFN, or
rt-frame -pa ADDR. Kind, allocation state and order, reference and mapping
counts (kept on the head of a block), and for a page-table page its owner
mm, level, generation, split PT lock and the tables deposited on it (a PD
page heads the list of tables kept for its huge PMDs)."""

    def __init__(self):
        super().__init__("rt-frame", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) == 2 and argv[0] == "-pa":
            pfn = parse_int(argv[1], "rt-frame") >> PAGE_SHIFT
        elif len(argv) == 1:
            pfn = parse_int(argv[0], "rt-frame")
        else:
            raise gdb.GdbError("usage: rt-frame PFN | rt-frame -pa ADDR")
        frames = Frames()
        f = frames.meta(pfn)
        flags = int(f["flags"])
        state = []
        if flags & 1:
            state.append("heads a free block of order %d" % int(f["order"]))
        if flags & 2:
            state.append("heads an allocated block of order %d" % int(f["order"]))
        h = frames.head(pfn) if not flags & 1 else None
        if not flags & 3:
            if h is not None:
                state.append("inside the allocated block at %#x (order %d)" % h)
            else:
                state.append("not the head of a block")
        print("frame %#x (physical %#x): kind %s, %s" % (pfn, pfn << PAGE_SHIFT, frames.kind(f), ", ".join(state)))
        print("  refcount %d, mapcount %d" % (num(f["Refcount"]), num(f["Mapcount"])))
        if h is not None and h[0] != pfn:
            hf = frames.meta(h[0])
            print("  head %#x: kind %s, refcount %d, mapcount %d" % (
                h[0], frames.kind(hf), num(hf["Refcount"]), num(hf["Mapcount"])))
        ptl = num(f["PTL"]["v"])
        print("  owner mm %d, level %d, gen %d, PTL %s" % (
            num(f["Owner"]), num(f["Level"]), num(f["Gen"]), "held" if ptl else "free"))
        dep = num(f["Deposit"])
        if not dep:
            print("  deposit: none")
        elif num(f["Level"]) == 2:
            print("  deposit: tables kept for this PD's huge PMDs: pfn %s" % ", ".join("%#x" % d for d in deposits(frames, pfn)))
        else:
            print("  deposit: next deposited table: pfn %#x" % dep)
        if flags & 1:
            print("  free list: next %#x, prev %#x" % (num(f["next"]), num(f["prev"])))


def vma_file(vma):
    """The file a VMA maps ("" for anonymous memory)."""
    typ = int(vma["File"]["_type"])
    if typ == 0:
        return ""
    data = int(vma["File"]["data"])
    try:
        name = go_type_name(typ)
    except gdb.GdbError:
        name = "?"
    if name == "*mm.File" and data:
        f = at(data, gotype("retract/mm.File"))
        return 'file "%s" (%d bytes%s)' % (gostring(f["Name"]), num(f["size"]), ", shmem" if bool(f["Shmem"]) else "")
    return "%s %#x" % (name, data)


class RtMM(gdb.Command):
    """The address spaces (mm.mms): rt-mm [ID]. For each: ID, PML4, the
process that runs on it, RSS, page tables, fault counts and the VMAs with
their protection, flags and backing file."""

    def __init__(self):
        super().__init__("rt-mm", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        mms = mm_table()
        owners = mm_owners(processes())
        if argv:
            want = parse_int(argv[0], "rt-mm")
            if want not in mms:
                raise gdb.GdbError("rt-mm: there is no mm %d" % want)
            ids = [want]
        else:
            ids = sorted(mms)
            print("%d address spaces" % len(ids))
        try:
            flag_names = strings_of(sym("mm.vmaFlagNames"))
        except gdb.GdbError:
            flag_names = ["shared", "hugepage", "nohugepage", "anon", "dontcopy", "wipeonfork", "stack", "nomaywrite"]
        for i in ids:
            m = mms[i]
            vmas = slice_items(m["VMAs"]["v"])
            acct = m["acct"]
            rss = [num(acct["rss"][k]) for k in range(3)]
            st = m["Stats"]
            mask = num(m["CPUMask"])
            print("mm %d: PML4 %#x, %s, %d VMAs (%d pages), loaded on CPUs {%s} (mm_cpumask)%s" % (
                i, int(m["PML4"]), owners.get(i, "no process"), len(vmas), int(m["VMAs"]["pages"]),
                ",".join(str(c) for c in range(32) if mask >> c & 1), ", dying" if bool(m["dead"]) else ""))
            print("  rss anon %d file %d shmem %d, page tables %d; faults %d (retries %d, retracted-table retries %d)" % (
                rss[0], rss[1], rss[2], num(acct["ptPages"]), num(st["Faults"]), num(st["Retries"]),
                num(st["RetractedRetries"])))
            for v in vmas:
                flags = int(v["Flags"])
                fl = [n for b, n in enumerate(flag_names) if flags >> b & 1]
                print(("  %#014x-%#014x %s %-16s pgoff %#x %s" % (
                    int(v["Start"]), int(v["End"]), prot_string(int(v["Prot"])), "|".join(fl) or "-",
                    int(v["Pgoff"]), vma_file(v))).rstrip())


class RtRcu(gdb.Command):
    """RCU (package rcu): the grace-period counters, whether a GP is in
progress and which CPUs still owe it a quiescent state, each CPU's
read-side nesting and statistics, and the callbacks queued on each CPU
(how many are ready: their grace period has ended)."""

    def __init__(self):
        super().__init__("rt-rcu", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        started, completed = num(sym("rcu.started")), num(sym("rcu.completed"))
        mode = num(sym("rcu.mode"))
        ncpu = int(sym("rcu.NumCPUs"))
        print("RCU: mode %s, grace periods started %d, completed %d%s; CPUs still owing a QS %d, blocked readers %d" % (
            {0: "rcu", 1: "UNSAFE (no grace periods)"}.get(mode, str(mode)), started, completed,
            " (GP %d in progress)" % started if started > completed else " (idle)",
            num(sym("rcu.remaining")), num(sym("rcu.blockedReaders"))))
        percpu = sym("rcu.cpus")
        lists = sym("rcu.lists")
        areas = sym("arch/amd64.cpus")
        print("%3s %5s %4s %5s %5s %8s %8s %6s %8s %8s %8s %10s" % (
            "CPU", "OWES", "EXP", "IDLE", "NEST", "QS", "IDLE-QS", "IPI-QS", "READERS", "QUEUED", "INVOKED", "CALLBACKS"))
        head_t = gotype("retract/rcu.Head")
        for c in range(ncpu):
            d = fetch(percpu[c])
            l = fetch(lists[c])
            n = int(l["n"])
            ready, p, seen = 0, int(l["head"]), 0
            while p and seen < 100000:
                h = at(p, head_t)
                if num(h["waitFor"]) <= completed:
                    ready += 1
                p = int(h["next"])
                seen += 1
            print("%3d %5s %4s %5s %5d %8d %8d %6d %8d %8d %8d %10s" % (
                c, "yes" if num(d["qsNeeded"]) else "no", "yes" if num(d["expNeeded"]) else "no",
                "yes" if num(d["idleSeq"]) & 1 else "no", int(fetch(areas[c])["RCUNest"]),
                num(d["QS"]), num(d["IdleQS"]), num(d["IPIQS"]), num(d["Readers"]),
                num(d["Queued"]), num(d["Invoked"]), "%d (%d ready)" % (n, ready)))


def print_fields(title, v, indent="  ", names=None):
    """Every field of a struct of counters, atomics unwrapped."""
    v = fetch(v)
    parts = []
    for f in v.type.strip_typedefs().fields():
        if f.name in (None, "_"):
            continue
        x = v[f.name]
        t = x.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_ARRAY:
            lo, hi = t.range()
            vals = [num(x[i]) for i in range(lo, hi + 1)]
            if names and f.name in names:
                nz = ["%s %d" % (names[f.name][i], n) for i, n in enumerate(vals) if n]
                parts.append("%s: %s" % (f.name, ", ".join(nz) or "none"))
            else:
                parts.append("%s %s" % (f.name, vals))
            continue
        try:
            parts.append("%s %d" % (f.name, num(x)))
        except (gdb.error, TypeError):
            continue
    print(title)
    line = indent
    for p in parts:
        if len(line) + len(p) > 78 and line.strip():
            print(line.rstrip(", "))
            line = indent
        line += p + ", "
    if line.strip():
        print(line.rstrip(", "))


class RtKhugepaged(gdb.Command):
    """khugepaged and huge pages: its tunables (mm.Khugepaged) and scan
state, the transparent_hugepage switches (mm.THP), and the counters of
mm.KhugepagedStat, mm.CollapseStat (results by Linux's scan_result name)
and mm.ThpStat."""

    def __init__(self):
        super().__init__("rt-khugepaged", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print_fields("khugepaged config (mm.Khugepaged):", sym("mm.Khugepaged"))
        print_fields("transparent_hugepage (mm.THP; enabled 0 always, 1 madvise, 2 never):", sym("mm.THP"))
        khp = fetch(sym("mm.khp"))
        slots = []
        for s in slice_items(khp["slots"]):
            slots.append(str(int(s.dereference()["ID"])) if int(s) else "nil")
        print("khugepaged scan: %s, mms registered [%s], scanning slot %d at %#x" % (
            "started" if bool(khp["started"]) else "not started", " ".join(slots), int(khp["slot"]), int(khp["addr"])))
        print_fields("khugepaged stats (mm.KhugepagedStat):", sym("mm.KhugepagedStat"))
        try:
            names = {"Results": strings_of(sym("mm.collapseNames"))}
        except gdb.GdbError:
            names = None
        print_fields("collapse stats (mm.CollapseStat):", sym("mm.CollapseStat"), names=names)
        print_fields("huge page events (mm.ThpStat):", sym("mm.ThpStat"))


# ---------------------------------------------------------------- functions


def cpu_arg(args, i):
    if len(args) > i:
        return int(args[i])
    return selected_cpu().cpu


class RtPercpu(gdb.Function):
    """$rt_percpu(NAME[, CPU]): CPU's element of the per-CPU array NAME,
e.g. $rt_percpu("rcu.cpus", 1) or $rt_percpu("sched.percpu"). NAME is a
Go global indexed by CPU number (amd64.PerCPU or [MaxCPUs]T), with or
without its package path ("retract/kernel/" and "retract/arch/" are tried).
CPU defaults to the one gdb has selected."""

    def __init__(self):
        super().__init__("rt_percpu")

    def invoke(self, *args):
        if not args:
            raise gdb.GdbError("$rt_percpu(NAME[, CPU])")
        name = args[0].string()
        cpu = cpu_arg(args, 1)
        v = None
        for cand in (name, "retract/" + name, "retract/kernel/" + name, "retract/arch/" + name):
            try:
                v = gdb.parse_and_eval("'%s'" % cand)
                break
            except gdb.error:
                continue
        if v is None:
            raise gdb.GdbError("$rt_percpu: no global %s" % name)
        t = v.type.strip_typedefs()
        if t.code != gdb.TYPE_CODE_ARRAY:
            raise gdb.GdbError("$rt_percpu: %s is a %s, not a per-CPU array" % (name, v.type))
        lo, hi = t.range()
        if not lo <= cpu <= hi:
            raise gdb.GdbError("$rt_percpu: no CPU %d in %s" % (cpu, name))
        return v[cpu]


class RtCurrent(gdb.Function):
    """$rt_current([CPU]): the kernel/sched.Thread running on CPU (default:
the CPU gdb has selected), like Linux's $lx_current(). E.g.
p $rt_current().tid, p/x $rt_current(1).CR3."""

    def __init__(self):
        super().__init__("rt_current")

    def invoke(self, *args):
        cpu = cpu_arg(args, 0)
        areas = sym("arch/amd64.cpus")
        addr = int(areas[cpu]["Thread"])
        if addr == 0:
            raise gdb.GdbError("$rt_current: CPU %d runs no thread" % cpu)
        return gdb.Value(addr).cast(gotype("retract/kernel/sched.Thread").pointer()).dereference()


RtPrefix()
RtCpus()
RtPs()
RtDmesg()
RtPtWalk()
RtTranslate()
RtFrame()
RtMM()
RtRcu()
RtKhugepaged()
RtPercpu()
RtCurrent()
