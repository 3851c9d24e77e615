//! Tuning of mimalloc, the allocator of the `ledgerlink` binary (`src/main.rs`) and of the
//! scale bench. The library itself allocates through whatever global allocator its user
//! chose; [`tune`] only sets mimalloc's options and is harmless when it is not in use.

/// `mi_option_purge_decommits` in mimalloc.h's `mi_option_e` (libmimalloc-sys names only
/// some of the options); `options_are_where_mimalloc_h_puts_them` checks the index.
const MI_OPTION_PURGE_DECOMMITS: libmimalloc_sys::mi_option_t = 5;

/// Memory mimalloc gives back is reset (`MADV_FREE`: the kernel takes it only when it needs
/// it) rather than decommitted (`MADV_DONTNEED`: every reuse faults in a zeroed page). A
/// compare frees and reallocates hundreds of megabytes in a second; decommitting made the
/// same compare take 0.7 to 1.9 s from run to run, resetting 0.7 s (docs/performance.md,
/// round 8). The memory still goes back to the system when it needs it. Call first thing
/// in `main`.
#[allow(unsafe_code)]
pub fn tune() {
    // SAFETY: mi_option_set only stores an option value (an atomic store in mimalloc), and
    // the index is a valid entry of mimalloc's option table (tested below).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DECOMMITS, 0) };
}

#[cfg(test)]
mod tests {
    /// The option index [`super::tune`] sets is where mimalloc.h (v3, the version
    /// libmimalloc-sys builds) puts it: the defaults of that option and its neighbours are
    /// those of its options.c (arena_eager_commit = 2, purge_decommits = 1,
    /// allow_large_os_pages = 0 and 6 as libmimalloc-sys says, purge_delay = 1000 at 15).
    #[test]
    #[allow(unsafe_code)]
    fn options_are_where_mimalloc_h_puts_them() {
        // SAFETY: mi_option_get only reads an option value.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        assert_eq!(get(super::MI_OPTION_PURGE_DECOMMITS - 1), 2);
        assert_eq!(get(super::MI_OPTION_PURGE_DECOMMITS), 1);
        assert_eq!(get(super::MI_OPTION_PURGE_DECOMMITS + 1), 0);
        assert_eq!(libmimalloc_sys::mi_option_large_os_pages, 6);
        assert_eq!(get(15), 1000);
    }
}
