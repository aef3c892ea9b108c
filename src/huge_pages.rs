//! An allocator for the binary: the system allocator, with large allocations (column
//! buffers, file contents) advised onto transparent huge pages (`madvise(MADV_HUGEPAGE)`), so
//! a 2 MB page faults in once instead of 512 times. Ingest spent about a third of its CPU time
//! in the kernel faulting in fresh 4 kB pages; see BENCHMARKS.md for what this changed. Only
//! Linux; where the kernel offers no huge pages on request the advice is a no-op. It must not
//! change what memory holds or how much is asked for: only how the kernel backs it.

use std::alloc::{GlobalAlloc, Layout, System};

pub struct LargeOnHugePages;

/// Allocations from this size on are advised.
const LARGE: usize = 4 << 20;
const HUGE: usize = 2 << 20;

fn advise(ptr: *mut u8, size: usize) {
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + size) & !(HUGE - 1);
    if end > start {
        // advice only: an error (no THP in this kernel) changes nothing
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

unsafe impl GlobalAlloc for LargeOnHugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && layout.size() >= LARGE {
            advise(p, layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && layout.size() >= LARGE {
            advise(p, layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && new_size >= LARGE {
            advise(p, new_size);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_keep_their_bytes_through_realloc() {
        let a = LargeOnHugePages;
        let layout = Layout::from_size_align(LARGE + 12_345, 64).unwrap();
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % 64, 0);
            for i in 0..layout.size() {
                *p.add(i) = (i % 251) as u8;
            }
            let q = a.realloc(p, layout, 3 * LARGE);
            assert!(!q.is_null());
            assert!((0..layout.size()).all(|i| *q.add(i) == (i % 251) as u8));
            a.dealloc(q, Layout::from_size_align(3 * LARGE, 64).unwrap());
            let z = a.alloc_zeroed(layout);
            assert!((0..layout.size()).all(|i| *z.add(i) == 0));
            a.dealloc(z, layout);
        }
    }
}
