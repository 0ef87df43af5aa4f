/*
 * retract.pml: the retract protocol of Linux 6.6's "mm: free retracted page
 * table by RCU", as retract's kernel implements it, for the SPIN model
 * checker. See docs/retract.md, "The proof in a model".
 *
 * One PMD, one page table T behind it, two faulting CPUs (1 and 2) in the
 * address space that maps the file, one collapsing CPU (0) that runs
 * File.Collapse on the 2 MiB range, the RCU grace-period machinery, and
 * another user of the frame allocator that reuses T's frame once it is
 * free. Exactly one variant must be defined (spin -DRCU ...):
 *
 *   RCU         the kernel's design: PteFreeDefer frees T after a grace
 *               period, faults revalidate under the ptl.
 *   UNSAFE      PteFreeDefer poisons and frees T right after the TLB flush
 *               (rcu=unsafe, `retract unsafe on`): a use-after-free.
 *   NO_RECHECK  RCU freeing, but the fault skips PteSame and the PMD
 *               recheck under the ptl: it installs a PTE into a detached
 *               table (a lost update).
 *
 * Properties: the LTL formulas at the end (pan -N NAME), and for deadlock
 * freedom the invalid-end-state check of a run without a claim
 * (-DNOCLAIM). model/model_test.go runs them all.
 *
 * Every step that another CPU can observe is one atomic step; each cites
 * the function (and file) of the kernel it models. The printf lines are
 * the timeline that model.Timeline (model/trail.go) makes of a replayed
 * counterexample:
 *   "@LANE B|E|I NAME [key=value...]", "@LANE S|F FLOW NAME",
 *   "@track LANE NAME" (lanes: 0 collapse CPU 0, 1 and 2 the faults,
 *   3 RCU, 4 the allocator). The verifier ignores them.
 */

#if defined(RCU) + defined(UNSAFE) + defined(NO_RECHECK) != 1
#error "define exactly one of RCU, UNSAFE, NO_RECHECK (spin -DRCU ...)"
#endif

#ifdef UNSAFE
#define FREE_AT_ONCE		/* PteFreeDefer with mm.RetractUnsafe set */
#endif
#ifdef NO_RECHECK
#define SKIP_RECHECK		/* no PteSame, no pmd_same under the ptl */
#endif

#define NFAULT	2		/* faulting CPUs: 1 and 2 */
#define NCPU	3		/* CPU 0 collapses */
#define OTHER_GPS 1		/* grace periods other kernel code asks for */

#define LANE_RCU	3
#define LANE_ALLOC	4

/* The PMD (the PD entry of the 2 MiB range): empty, pointing at T, or a
 * huge PMD mapping the collapsed 2 MiB page. */
mtype:pmdentry = { pmd_none, pmd_table, pmd_huge };
/* A PTE of T: empty, a page-cache page mapped read-only (a shared file
 * mapping before its first write), the same page writable and dirty, or
 * the poison an unsafe free or the frame's next user wrote. */
mtype:pteentry = { pte_none, pte_ro, pte_rw, pte_poison };
/* T's frame: a live page table, free, or reused by someone else. */
mtype:framestate = { pt_live, pt_freed, pt_reused };
/* Where a CPU touched T after it was freed. */
mtype:access = { no_access, orig_load, ptl_lock, pte_same, store_pte, ptl_unlock, pte_scan };

/* Page tables (mm/walk.go, mm/retract.go). */
mtype:pmdentry pmd;		/* *pmd: the PD entry */
mtype:pteentry pte[NFAULT];	/* T's entries; fault CPU c uses pte[c-1] */
mtype:framestate frame;		/* Frames.Meta(T): kind and generation */
byte ptl;			/* Frames.Meta(T).PTL: 0 free, else CPU+1 */
byte pageTableLock;		/* MM.pageTableLock, the PMD lock (pmdLock): 0 free, else CPU+1 */
byte mmapReaders;		/* MM.MmapLock held for reading (faults only) */
bool collapsing;		/* File.collapsing: the range is being collapsed */

/* RCU (rcu/*.go). */
byte rcuNest[NCPU];		/* CPU.RCUNest: read-side nesting */
byte started, completed;	/* grace periods started and completed */
bool qsNeeded[NCPU];		/* the current GP waits for this CPU */
byte otherGPs;			/* GPs started for other callers */
bool cbQueued;			/* PteFreeDefer's rcu.Call is pending */
byte waitFor;			/* its Head.waitFor */

/* What the properties look at. */
bool retracted;			/* T was detached (PmdpCollapseFlush) */
bool freed;			/* T's frame was freed */
mtype:access uaf = no_access;	/* how a CPU first used T after it was freed */
bool lostUpdate;		/* a PTE went into a table the PMD no longer points to */

/* USE_T(how): CPU cpu is about to read or write T (its entries or its
 * lock): if T's frame is no longer a live page table, that is the
 * use-after-free. Used inside the atomic step of the access. */
#define USE_T(how) \
	if \
	:: frame != pt_live && uaf == no_access -> \
		uaf = how; \
		printf("@%d F 1 use-after-free\n", cpu);\
		printf("@%d I VIOLATION at=%e frame=%e\n", cpu, uaf, frame) \
	:: else -> skip \
	fi

/* STORE_PTE(v): the fault writes v into its entry of T; if the PMD no
 * longer points at T, the entry is lost with the table. */
#define STORE_PTE(v) \
	USE_T(store_pte); \
	if \
	:: pmd != pmd_table && !lostUpdate -> \
		lostUpdate = true; \
		printf("@%d F 2 detached\n", cpu);\
		printf("@%d I \"lost update\" pmd=%e\n", cpu, pmd) \
	:: else -> skip \
	fi; \
	pte[cpu-1] = v

/* A fault on CPU cpu: a write to its page of the shared file mapping.
 * pte[cpu-1] starts as pte_ro (the seed email's case: the fault reads a
 * present read-only orig_pte) or pte_none (the fault maps the page). */
proctype fault(byte cpu)
{
	mtype:pmdentry pmdval;
	mtype:pteentry orig;

	/* mm/fault.go HandleMMFault: m.MmapLock.RLock() (nobody in the
	 * model takes it for writing: retract does not). */
	atomic { mmapReaders++; printf("@%d B \"mmap_lock read\"\n", cpu) }
retry:
	/* mm/fault.go handlePTEFault: pv := phys.LoadPTE(pmd), outside RCU. */
	atomic { pmdval = pmd; printf("@%d I handlePTEFault pmd=%e\n", cpu, pmdval) }
	if
	:: pmdval == pmd_none -> goto hugeFault
	:: pmdval == pmd_huge ->
		/* mm/huge.go hugePMDFault: the huge page is mapped. */
		atomic { printf("@%d I hugePMDFault\n", cpu) }
		goto done
	:: pmdval == pmd_table -> skip
	fi;

	/* mm/walk.go PteOffsetMap: rcu.ReadLock ... */
	atomic { rcuNest[cpu]++; printf("@%d B \"RCU read side\"\n", cpu) }
	/* ... then the PMD again, under RCU: only a table seen from inside
	 * the read side is protected by it. */
	atomic { pmdval = pmd; printf("@%d I PteOffsetMap pmd=%e\n", cpu, pmdval) }
	if
	:: pmdval != pmd_table ->
		atomic { rcuNest[cpu]--; printf("@%d E \"RCU read side\"\n", cpu) }
		goto again
	:: else -> skip
	fi;
	/* mm/fault.go handlePTEFault: orig := pm.Load(), lockless
	 * (ptep_get_lockless). The delay point fault.after_pte_offset_map
	 * is any interleaving here. */
	atomic { USE_T(orig_load); orig = pte[cpu-1]; printf("@%d I pm.Load orig=%e\n", cpu, orig) }
	if
	:: orig != pte_none -> goto lockHeld
	:: else -> skip
	fi;

	/* The none path (doSharedFault): PteUnmap, FindPage, then
	 * finishFault: PteOffsetMapLock. */
	atomic { rcuNest[cpu]--; printf("@%d E \"RCU read side\"\n", cpu) }
	/* mm/file.go FindPage: waits while the range is being collapsed. */
	atomic { !collapsing -> printf("@%d I FindPage\n", cpu) }
	/* mm/walk.go PteOffsetMapLock: PteOffsetMap ... */
	atomic { rcuNest[cpu]++; printf("@%d B \"RCU read side\"\n", cpu) }
	atomic { pmdval = pmd; printf("@%d I PteOffsetMapLock pmd=%e\n", cpu, pmdval) }
	if
	:: pmdval != pmd_table ->
		atomic { rcuNest[cpu]--; printf("@%d E \"RCU read side\"\n", cpu) }
		goto again
	:: else -> skip
	fi;
	/* ... pm.PTL.Lock() ... */
	atomic { ptl == 0 -> USE_T(ptl_lock); ptl = cpu + 1; printf("@%d B \"ptl held\"\n", cpu) }
#ifndef SKIP_RECHECK
	/* ... and pmd_same: phys.LoadPTE(pmd) != pm.PMDVal fails. */
	atomic {
		if
		:: pmd != pmdval -> printf("@%d I pmd_same same=0 pmd=%e\n", cpu, pmd); goto unlockRetry
		:: else -> printf("@%d I pmd_same same=1\n", cpu)
		fi
	}
	/* mm/fault.go finishFault: PteSame(pm.Load(), orig), and the
	 * collapse mark seen under the ptl. */
	atomic {
		USE_T(pte_same);
		if
		:: pte[cpu-1] != orig || collapsing ->
			printf("@%d I PteSame same=%d pte=%e collapsing=%d\n", cpu, pte[cpu-1] == orig, pte[cpu-1], collapsing);
			goto unlockRetry
		:: else -> printf("@%d I PteSame same=1\n", cpu)
		fi
	}
#else
	atomic {
		if
		:: collapsing -> printf("@%d I Collapsing\n", cpu); goto unlockRetry
		:: else -> printf("@%d I Collapsing collapsing=0 recheck=skipped\n", cpu)
		fi
	}
#endif
	/* StorePTE(pm.PTE, entry): the page-cache page, writable, dirty. */
	atomic { STORE_PTE(pte_rw); printf("@%d I StorePTE pte=%e\n", cpu, pte[cpu-1]) }
	goto unlockDone;

lockHeld:
	/* mm/fault.go wpPageShared -> lockHeld: pm.PTL.Lock() through the pointer the
	 * fault already holds — no PMD recheck: T may have been retracted
	 * meanwhile (the seed email's case). Only RCU keeps the lock alive. */
	atomic { ptl == 0 -> USE_T(ptl_lock); ptl = cpu + 1; printf("@%d B \"ptl held\"\n", cpu) }
#ifndef SKIP_RECHECK
	/* PteSame(pm.Load(), orig): a retracted table is empty, so it fails. */
	atomic {
		USE_T(pte_same);
		if
		:: pte[cpu-1] != orig ->
			printf("@%d I PteSame same=0 pte=%e orig=%e\n", cpu, pte[cpu-1], orig);
			goto unlockRetry
		:: else -> printf("@%d I PteSame same=1\n", cpu)
		fi
	}
#endif
	/* StorePTE(pm.PTE, PteMkDirty(PteMkWrite(orig))): wp_page_shared. */
	atomic { STORE_PTE(pte_rw); printf("@%d I StorePTE pte=%e\n", cpu, pte[cpu-1]) }

unlockDone:
	atomic { USE_T(ptl_unlock); ptl = 0; printf("@%d E \"ptl held\"\n", cpu) }
	/* mm/walk.go PteUnmap: rcu.ReadUnlock. */
	atomic { rcuNest[cpu]--; printf("@%d E \"RCU read side\"\n", cpu) }
	goto done;

unlockRetry:
	atomic { USE_T(ptl_unlock); ptl = 0; printf("@%d E \"ptl held\"\n", cpu) }
	atomic { rcuNest[cpu]--; printf("@%d E \"RCU read side\"\n", cpu) }
again:
	/* mm/fault.go HandleMMFault: Stats.Retries, try again. */
	atomic { printf("@%d I retry\n", cpu) }
	goto retry;

hugeFault:
	/* mm/huge.go createHugePMD: the huge page is found in the page
	 * cache once the collapse has ended (while it runs, hugePageAt
	 * fails; the kernel then installs a fresh table and FindPage waits
	 * — the model waits here instead). Then under the PMD lock: */
	atomic { !collapsing -> printf("@%d I createHugePMD\n", cpu) }
	atomic { pageTableLock == 0 -> pageTableLock = cpu + 1; printf("@%d B \"PMD lock held\"\n", cpu) }
	atomic {
		if
		:: pmd == pmd_none -> pmd = pmd_huge; printf("@%d I StorePTE pmd=%e\n", cpu, pmd)
		:: else -> printf("@%d I createHugePMD pmd=%e\n", cpu, pmd)
		fi;
		pageTableLock = 0; printf("@%d E \"PMD lock held\"\n", cpu);
		if
		:: pmd == pmd_huge -> goto done
		:: else -> goto again
		fi
	}

done:
	atomic { mmapReaders--; printf("@%d E \"mmap_lock read\"\n", cpu) }
}

/* The collapsing CPU 0: mm/collapse.go File.Collapse of the 2 MiB range,
 * with collapseMu held and the huge page allocated (not modelled). */
proctype collapse()
{
	byte cpu = 0;
	mtype:pmdentry pmdval;

	/* mm/file.go beginRange: faults on the range wait from now on. */
	atomic { collapsing = true; printf("@0 I beginRange\n") }

	/* mm/collapse.go unmapRange (try_to_unmap): under the PMD lock,
	 * is it huge? ... */
	atomic { pageTableLock == 0 -> pageTableLock = cpu + 1; printf("@0 B \"PMD lock held\"\n") }
	atomic { pmdval = pmd; pageTableLock = 0; printf("@0 E \"PMD lock held\"\n") }
	if
	:: pmdval == pmd_table ->
		/* ... PteOffsetMapLock ... */
		atomic { rcuNest[cpu]++; printf("@0 B \"RCU read side\"\n") }
		atomic { pmdval = pmd; printf("@0 I PteOffsetMapLock pmd=%e\n", pmdval) }
		atomic { ptl == 0 -> USE_T(ptl_lock); ptl = cpu + 1; printf("@0 B \"ptl held\"\n") }
		/* ... clear the PTEs that map the small pages ... */
		atomic {
			USE_T(store_pte);
			if :: pte[0] != pte_none -> pte[0] = pte_none :: else -> skip fi;
			if :: pte[1] != pte_none -> pte[1] = pte_none :: else -> skip fi;
			printf("@0 I unmapRange\n")
		}
		atomic { USE_T(ptl_unlock); ptl = 0; printf("@0 E \"ptl held\"\n") }
		atomic { rcuNest[cpu]--; printf("@0 E \"RCU read side\"\n") }
		/* ... and flush the TLBs (one atomic step: the IPIs finish). */
		atomic { printf("@0 I FlushUser\n") }
	:: else -> skip
	fi;
	/* Copy the small pages into the huge page, replace the cache
	 * entries: nothing a fault can see while the range is marked. */

	/* mm/retract.go retractPageTables -> retractTable: the PMD lock ... */
	atomic { pageTableLock == 0 -> pageTableLock = cpu + 1; printf("@0 B \"PMD lock held\"\n") }
	atomic { pmdval = pmd; printf("@0 I retractTable pmd=%e\n", pmdval) }
	if
	:: pmdval != pmd_table ->
		atomic { pageTableLock = 0; printf("@0 E \"PMD lock held\"\n") }
		goto endRange
	:: else -> skip
	fi;
	/* ... then T's ptl ... */
	atomic { ptl == 0 -> USE_T(ptl_lock); ptl = cpu + 1; printf("@0 B \"ptl held\"\n") }
	/* ... every PTE must be none, else the table is skipped ... */
	atomic {
		USE_T(pte_scan);
		if
		:: pte[0] != pte_none || pte[1] != pte_none ->
			printf("@0 I RetractSkipped\n");
			ptl = 0; printf("@0 E \"ptl held\"\n");
			pageTableLock = 0; printf("@0 E \"PMD lock held\"\n");
			goto endRange
		:: else -> printf("@0 I retractTable empty=1\n")
		fi
	}
	/* ... PmdpCollapseFlush: clear the PMD and flush the TLBs of every
	 * CPU of the mm, one atomic step ... */
	atomic { pmd = pmd_none; retracted = true;
		printf("@0 I PmdpCollapseFlush pmd=%e\n", pmd);
		printf("@0 S 2 detached\n") }
	atomic { USE_T(ptl_unlock); ptl = 0; printf("@0 E \"ptl held\"\n") }
	atomic { pageTableLock = 0; printf("@0 E \"PMD lock held\"\n") }
#ifdef FREE_AT_ONCE
	/* ... PteFreeDefer with RetractUnsafe: poison and free at once. */
	atomic {
		pte[0] = pte_poison; pte[1] = pte_poison;
		frame = pt_freed; freed = true;
		printf("@0 I PteFreeDefer mode=unsafe\n");
		printf("@0 S 1 freed\n")
	}
#else
	/* ... PteFreeDefer: rcu.Call, ready after the next GP to start. */
	atomic { cbQueued = true; waitFor = started + 1; printf("@0 I PteFreeDefer rcu.Call=true waitFor=%d\n", waitFor) }
#endif

endRange:
	/* mm/file.go endRange: faults on the range go on. */
	atomic { collapsing = false; printf("@0 I endRange\n") }
}

/* The grace-period machinery: rcu/gp.go runGP, rcu/qs.go,
 * rcu/callbacks.go invokeReady. A CPU is quiescent whenever it is outside
 * a read-side section (the tick, a context switch, idle, or its outermost
 * ReadUnlock reports it). */
proctype rcu()
{
end:
	do
	:: atomic { started == completed &&
		(cbQueued && waitFor > completed || otherGPs < OTHER_GPS) ->
		if
		:: cbQueued && waitFor > completed -> skip
		:: else -> otherGPs++	/* someone's Synchronize */
		fi;
		started++;
		qsNeeded[0] = true; qsNeeded[1] = true; qsNeeded[2] = true;
		printf("@3 B \"grace period\" gp=%d\n", started) }
	:: atomic { started != completed && qsNeeded[0] && rcuNest[0] == 0 ->
		qsNeeded[0] = false; printf("@3 I reportQS cpu=0\n") }
	:: atomic { started != completed && qsNeeded[1] && rcuNest[1] == 0 ->
		qsNeeded[1] = false; printf("@3 I reportQS cpu=1\n") }
	:: atomic { started != completed && qsNeeded[2] && rcuNest[2] == 0 ->
		qsNeeded[2] = false; printf("@3 I reportQS cpu=2\n") }
	:: atomic { started != completed && !qsNeeded[0] && !qsNeeded[1] && !qsNeeded[2] ->
		completed = started; printf("@3 E \"grace period\"\n") }
	:: atomic { cbQueued && waitFor <= completed ->
		/* the callback: freePageTable (mm/retract.go PteFreeDefer) */
		cbQueued = false; frame = pt_freed; freed = true;
		printf("@3 I freePageTable\n");
		printf("@3 S 1 freed\n") }
	od
}

/* Another user of the frame allocator (mm/phys/frames.go Frames.Alloc): once
 * T's frame is free it takes it and writes its own data — the poison. */
proctype allocator()
{
end:
	atomic { frame == pt_freed ->
		frame = pt_reused; pte[0] = pte_poison; pte[1] = pte_poison;
		printf("@4 I Frames.Alloc frame=%e pte=%e\n", frame, pte[0]) }
}

init
{
	atomic {
		pmd = pmd_table; frame = pt_live;
		/* CPU 1's page is mapped read-only; CPU 2's is mapped or not. */
		pte[0] = pte_ro;
		if :: pte[1] = pte_ro :: pte[1] = pte_none fi;
		printf("@track 0 collapse CPU 0\n");
		printf("@track 1 fault CPU 1\n");
		printf("@track 2 fault CPU 2\n");
		printf("@track 3 RCU\n");
		printf("@track 4 allocator\n");
		run collapse();
		run fault(1);
		run fault(2);
		run rcu();
		run allocator()
	}
}

/* No CPU reads or writes T (its entries or its lock) after T's frame was
 * freed. */
ltl no_use_after_free { [] (uaf == no_access) }
/* The seed email's case: the fault loaded a present orig_pte while T was
 * alive, then takes T's ptl after T was freed (a lock inside freed
 * memory). Implied by no_use_after_free; its counterexample is the one
 * docs/retract.md draws. */
ltl no_lock_in_freed_table { [] (uaf != ptl_lock) }
/* No fault installs a PTE into a table its PMD no longer points to. */
ltl no_install_detached { [] !lostUpdate }
/* Every retracted table is eventually freed (check with pan -a -f). */
ltl retracted_freed { [] (retracted -> <> freed) }
