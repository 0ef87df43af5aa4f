ltl no_use_after_free: [] ((uaf==7))
ltl no_lock_in_freed_table: [] ((uaf!=5))
ltl no_install_detached: [] (! (lostUpdate))
ltl retracted_freed: [] ((! (retracted)) || (<> (freed)))
starting claim 7
Never claim moves to line 22	[(1)]
  2:	proc  0 (:init::1) retract.pml:388 (state 1)	[pmd = 2]
		pmd = pmd_table
  2:	proc  0 (:init::1) retract.pml:388 (state 2)	[frame = 3]
		pmd = pmd_table
		frame = pt_live
  2:	proc  0 (:init::1) retract.pml:390 (state 3)	[pte[0] = 3]
		pmd = pmd_table
		pte[0] = pte_ro
		pte[1] = 0
		frame = pt_live
  3:	proc  0 (:init::1) retract.pml:391 (state 4)	[pte[1] = 3]
		pte[0] = pte_ro
		pte[1] = pte_ro
          @track 0 collapse CPU 0
  3:	proc  0 (:init::1) retract.pml:392 (state 8)	[printf('@track 0 collapse CPU 0\\n')]
		pte[0] = pte_ro
		pte[1] = pte_ro
          @track 1 fault CPU 1
  3:	proc  0 (:init::1) retract.pml:393 (state 9)	[printf('@track 1 fault CPU 1\\n')]
		pte[0] = pte_ro
		pte[1] = pte_ro
          @track 2 fault CPU 2
  3:	proc  0 (:init::1) retract.pml:394 (state 10)	[printf('@track 2 fault CPU 2\\n')]
		pte[0] = pte_ro
		pte[1] = pte_ro
          @track 3 RCU
  3:	proc  0 (:init::1) retract.pml:395 (state 11)	[printf('@track 3 RCU\\n')]
		pte[0] = pte_ro
		pte[1] = pte_ro
          @track 4 allocator
  3:	proc  0 (:init::1) retract.pml:396 (state 12)	[printf('@track 4 allocator\\n')]
		pte[0] = pte_ro
		pte[1] = pte_ro
Starting collapse with pid 2
  4:	proc  0 (:init::1) retract.pml:397 (state 13)	[(run collapse())]
Starting fault with pid 3
  5:	proc  0 (:init::1) retract.pml:398 (state 14)	[(run fault(1))]
Starting fault with pid 4
  6:	proc  0 (:init::1) retract.pml:399 (state 15)	[(run fault(2))]
Starting rcu with pid 5
  7:	proc  0 (:init::1) retract.pml:400 (state 16)	[(run rcu())]
Starting allocator with pid 6
  8:	proc  0 (:init::1) retract.pml:401 (state 17)	[(run allocator())]
 10:	proc  2 (fault:1) retract.pml:121 (state 1)	[mmapReaders = (mmapReaders+1)]
		mmapReaders = 1
                  @1 B "mmap_lock read"
 10:	proc  2 (fault:1) retract.pml:121 (state 2)	[printf('@%d B \\'mmap_lock read\\'\\n',cpu)]
		mmapReaders = 1
 12:	proc  2 (fault:1) retract.pml:124 (state 4)	[pmdval = pmd]
		fault(2):pmdval = 2
                  @1 I handlePTEFault pmd=pmd_table
 12:	proc  2 (fault:1) retract.pml:124 (state 5)	[printf('@%d I handlePTEFault pmd=%e\\n',cpu,pmdval)]
		fault(2):pmdval = 2
 14:	proc  2 (fault:1) retract.pml:131 (state 13)	[((pmdval==2))]
 16:	proc  2 (fault:1) retract.pml:131 (state 14)	[(1)]
 18:	proc  2 (fault:1) retract.pml:135 (state 17)	[rcuNest[cpu] = (rcuNest[cpu]+1)]
		rcuNest[0] = 0
		rcuNest[1] = 1
		rcuNest[2] = 0
                  @1 B "RCU read side"
 18:	proc  2 (fault:1) retract.pml:135 (state 18)	[printf('@%d B \\'RCU read side\\'\\n',cpu)]
		rcuNest[0] = 0
		rcuNest[1] = 1
		rcuNest[2] = 0
 20:	proc  2 (fault:1) retract.pml:138 (state 20)	[pmdval = pmd]
		fault(2):pmdval = 2
                  @1 I PteOffsetMap pmd=pmd_table
 20:	proc  2 (fault:1) retract.pml:138 (state 21)	[printf('@%d I PteOffsetMap pmd=%e\\n',cpu,pmdval)]
		fault(2):pmdval = 2
 22:	proc  2 (fault:1) retract.pml:143 (state 28)	[else]
 24:	proc  2 (fault:1) retract.pml:143 (state 29)	[(1)]
 26:	proc  2 (fault:1) retract.pml:148 (state 36)	[else]
 27:	proc  2 (fault:1) retract.pml:148 (state 37)	[(1)]
 27:	proc  2 (fault:1) retract.pml:148 (state 40)	[orig = pte[(cpu-1)]]
		fault(2):orig = 3
                  @1 I pm.Load orig=pte_ro
 27:	proc  2 (fault:1) retract.pml:148 (state 41)	[printf('@%d I pm.Load orig=%e\\n',cpu,orig)]
		fault(2):orig = 3
 29:	proc  2 (fault:1) retract.pml:150 (state 43)	[((orig!=4))]
 31:	proc  1 (collapse:1) retract.pml:266 (state 1)	[collapsing = 1]
		collapsing = 1
              @0 I beginRange
 31:	proc  1 (collapse:1) retract.pml:266 (state 2)	[printf('@0 I beginRange\\n')]
		collapsing = 1
 33:	proc  1 (collapse:1) retract.pml:270 (state 4)	[((pageTableLock==0))]
 33:	proc  1 (collapse:1) retract.pml:270 (state 5)	[pageTableLock = (cpu+1)]
		pageTableLock = 1
              @0 B "PMD lock held"
 33:	proc  1 (collapse:1) retract.pml:270 (state 6)	[printf('@0 B \\'PMD lock held\\'\\n')]
		pageTableLock = 1
 35:	proc  1 (collapse:1) retract.pml:271 (state 8)	[pmdval = pmd]
		collapse(1):pmdval = 2
 35:	proc  1 (collapse:1) retract.pml:271 (state 9)	[pageTableLock = 0]
		pageTableLock = 0
		collapse(1):pmdval = 2
              @0 E "PMD lock held"
 35:	proc  1 (collapse:1) retract.pml:271 (state 10)	[printf('@0 E \\'PMD lock held\\'\\n')]
		pageTableLock = 0
		collapse(1):pmdval = 2
 37:	proc  1 (collapse:1) retract.pml:273 (state 12)	[((pmdval==2))]
 39:	proc  1 (collapse:1) retract.pml:275 (state 13)	[rcuNest[cpu] = (rcuNest[cpu]+1)]
		rcuNest[0] = 1
		rcuNest[1] = 1
		rcuNest[2] = 0
              @0 B "RCU read side"
 39:	proc  1 (collapse:1) retract.pml:275 (state 14)	[printf('@0 B \\'RCU read side\\'\\n')]
		rcuNest[0] = 1
		rcuNest[1] = 1
		rcuNest[2] = 0
 41:	proc  1 (collapse:1) retract.pml:276 (state 16)	[pmdval = pmd]
		collapse(1):pmdval = 2
              @0 I PteOffsetMapLock pmd=pmd_table
 41:	proc  1 (collapse:1) retract.pml:276 (state 17)	[printf('@0 I PteOffsetMapLock pmd=%e\\n',pmdval)]
		collapse(1):pmdval = 2
 43:	proc  1 (collapse:1) retract.pml:277 (state 19)	[((ptl==0))]
 44:	proc  1 (collapse:1) retract.pml:277 (state 24)	[else]
 45:	proc  1 (collapse:1) retract.pml:277 (state 25)	[(1)]
 45:	proc  1 (collapse:1) retract.pml:277 (state 28)	[ptl = (cpu+1)]
		ptl = 1
              @0 B "ptl held"
 45:	proc  1 (collapse:1) retract.pml:277 (state 29)	[printf('@0 B \\'ptl held\\'\\n')]
		ptl = 1
 47:	proc  1 (collapse:1) retract.pml:280 (state 35)	[else]
 48:	proc  1 (collapse:1) retract.pml:280 (state 36)	[(1)]
 49:	proc  1 (collapse:1) retract.pml:281 (state 39)	[((pte[0]!=4))]
 49:	proc  1 (collapse:1) retract.pml:281 (state 40)	[pte[0] = 4]
		pte[0] = pte_none
		pte[1] = pte_ro
 50:	proc  1 (collapse:1) retract.pml:282 (state 45)	[((pte[1]!=4))]
 50:	proc  1 (collapse:1) retract.pml:282 (state 46)	[pte[1] = 4]
		pte[0] = pte_none
		pte[1] = pte_none
              @0 I unmapRange
 50:	proc  1 (collapse:1) retract.pml:283 (state 51)	[printf('@0 I unmapRange\\n')]
		pte[0] = pte_none
		pte[1] = pte_none
 52:	proc  1 (collapse:1) retract.pml:285 (state 57)	[else]
 53:	proc  1 (collapse:1) retract.pml:285 (state 58)	[(1)]
 53:	proc  1 (collapse:1) retract.pml:285 (state 61)	[ptl = 0]
		ptl = 0
              @0 E "ptl held"
 53:	proc  1 (collapse:1) retract.pml:285 (state 62)	[printf('@0 E \\'ptl held\\'\\n')]
		ptl = 0
 55:	proc  1 (collapse:1) retract.pml:286 (state 64)	[rcuNest[cpu] = (rcuNest[cpu]-1)]
		rcuNest[0] = 0
		rcuNest[1] = 1
		rcuNest[2] = 0
              @0 E "RCU read side"
 55:	proc  1 (collapse:1) retract.pml:286 (state 65)	[printf('@0 E \\'RCU read side\\'\\n')]
		rcuNest[0] = 0
		rcuNest[1] = 1
		rcuNest[2] = 0
              @0 I FlushUser
 57:	proc  1 (collapse:1) retract.pml:288 (state 67)	[printf('@0 I FlushUser\\n')]
 59:	proc  1 (collapse:1) retract.pml:295 (state 73)	[((pageTableLock==0))]
 59:	proc  1 (collapse:1) retract.pml:295 (state 74)	[pageTableLock = (cpu+1)]
		pageTableLock = 1
              @0 B "PMD lock held"
 59:	proc  1 (collapse:1) retract.pml:295 (state 75)	[printf('@0 B \\'PMD lock held\\'\\n')]
		pageTableLock = 1
 61:	proc  1 (collapse:1) retract.pml:296 (state 77)	[pmdval = pmd]
		collapse(1):pmdval = 2
              @0 I retractTable pmd=pmd_table
 61:	proc  1 (collapse:1) retract.pml:296 (state 78)	[printf('@0 I retractTable pmd=%e\\n',pmdval)]
		collapse(1):pmdval = 2
 63:	proc  1 (collapse:1) retract.pml:301 (state 85)	[else]
 65:	proc  1 (collapse:1) retract.pml:301 (state 86)	[(1)]
 67:	proc  1 (collapse:1) retract.pml:304 (state 89)	[((ptl==0))]
 68:	proc  1 (collapse:1) retract.pml:304 (state 94)	[else]
 69:	proc  1 (collapse:1) retract.pml:304 (state 95)	[(1)]
 69:	proc  1 (collapse:1) retract.pml:304 (state 98)	[ptl = (cpu+1)]
		ptl = 1
              @0 B "ptl held"
 69:	proc  1 (collapse:1) retract.pml:304 (state 99)	[printf('@0 B \\'ptl held\\'\\n')]
		ptl = 1
 71:	proc  1 (collapse:1) retract.pml:307 (state 105)	[else]
 72:	proc  1 (collapse:1) retract.pml:307 (state 106)	[(1)]
 73:	proc  1 (collapse:1) retract.pml:314 (state 116)	[else]
              @0 I retractTable empty=1
 74:	proc  1 (collapse:1) retract.pml:314 (state 117)	[printf('@0 I retractTable empty=1\\n')]
 76:	proc  1 (collapse:1) retract.pml:319 (state 121)	[pmd = 3]
		pmd = pmd_none
 76:	proc  1 (collapse:1) retract.pml:319 (state 122)	[retracted = 1]
		pmd = pmd_none
		retracted = 1
              @0 I PmdpCollapseFlush pmd=pmd_none
 76:	proc  1 (collapse:1) retract.pml:320 (state 123)	[printf('@0 I PmdpCollapseFlush pmd=%e\\n',pmd)]
		pmd = pmd_none
		retracted = 1
              @0 S 2 detached
 76:	proc  1 (collapse:1) retract.pml:321 (state 124)	[printf('@0 S 2 detached\\n')]
		pmd = pmd_none
		retracted = 1
 78:	proc  1 (collapse:1) retract.pml:322 (state 130)	[else]
 79:	proc  1 (collapse:1) retract.pml:322 (state 131)	[(1)]
 79:	proc  1 (collapse:1) retract.pml:322 (state 134)	[ptl = 0]
		ptl = 0
              @0 E "ptl held"
 79:	proc  1 (collapse:1) retract.pml:322 (state 135)	[printf('@0 E \\'ptl held\\'\\n')]
		ptl = 0
 81:	proc  2 (fault:1) retract.pml:205 (state 110)	[((ptl==0))]
 82:	proc  2 (fault:1) retract.pml:205 (state 115)	[else]
 83:	proc  2 (fault:1) retract.pml:205 (state 116)	[(1)]
 83:	proc  2 (fault:1) retract.pml:205 (state 119)	[ptl = (cpu+1)]
		ptl = 2
                  @1 B "ptl held"
 83:	proc  2 (fault:1) retract.pml:205 (state 120)	[printf('@%d B \\'ptl held\\'\\n',cpu)]
		ptl = 2
 85:	proc  2 (fault:1) retract.pml:219 (state 126)	[else]
 86:	proc  2 (fault:1) retract.pml:219 (state 127)	[(1)]
 87:	proc  2 (fault:1) retract.pml:219 (state 130)	[(((pmd!=2)&&!(lostUpdate)))]
 87:	proc  2 (fault:1) retract.pml:219 (state 131)	[lostUpdate = 1]
		lostUpdate = 1
                  @1 F 2 detached
 87:	proc  2 (fault:1) retract.pml:219 (state 132)	[printf('@%d F 2 detached\\n',cpu)]
		lostUpdate = 1
                  @1 I "lost update" pmd=pmd_none
 87:	proc  2 (fault:1) retract.pml:219 (state 133)	[printf('@%d I \\'lost update\\' pmd=%e\\n',cpu,pmd)]
		lostUpdate = 1
 87:	proc  2 (fault:1) retract.pml:219 (state 138)	[pte[(cpu-1)] = 2]
		pte[0] = pte_rw
		pte[1] = pte_none
		lostUpdate = 1
                  @1 I StorePTE pte=pte_rw
 87:	proc  2 (fault:1) retract.pml:219 (state 139)	[printf('@%d I StorePTE pte=%e\\n',cpu,pte[(cpu-1)])]
		pte[0] = pte_rw
		pte[1] = pte_none
		lostUpdate = 1
spin: _spin_nvr.tmp:21, Error: assertion violated
spin: text of failed assertion: assert(!(!(!(lostUpdate))))
Never claim moves to line 21	[assert(!(!(!(lostUpdate))))]
spin: trail ends after 88 steps
#processes: 6
		pmd = pmd_none
		pte[0] = pte_rw
		pte[1] = pte_none
		frame = pt_live
		ptl = 2
		pageTableLock = 1
		mmapReaders = 1
		collapsing = 1
		rcuNest[0] = 0
		rcuNest[1] = 1
		rcuNest[2] = 0
		started = 0
		completed = 0
		qsNeeded[0] = 0
		qsNeeded[1] = 0
		qsNeeded[2] = 0
		otherGPs = 0
		cbQueued = 0
		waitFor = 0
		retracted = 1
		freed = 0
		uaf = no_access
		lostUpdate = 1
 88:	proc  5 (allocator:1) retract.pml:380 (state 6) <valid end state>
 88:	proc  4 (rcu:1) retract.pml:349 (state 37) <valid end state>
 88:	proc  3 (fault:1) retract.pml:121 (state 3)
		fault(3):orig = 0
		fault(3):pmdval = 0
		fault(3):cpu = 2
 88:	proc  2 (fault:1) retract.pml:222 (state 151)
		fault(2):orig = 3
		fault(2):pmdval = 2
		fault(2):cpu = 1
 88:	proc  1 (collapse:1) retract.pml:323 (state 139)
		collapse(1):pmdval = 2
		collapse(1):cpu = 0
 88:	proc  0 (:init::1) retract.pml:403 (state 19) <valid end state>
 88:	proc  - (no_install_detached:1) _spin_nvr.tmp:20 (state 6)
6 processes created
