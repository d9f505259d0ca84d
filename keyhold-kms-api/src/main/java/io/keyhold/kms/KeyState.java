package io.keyhold.kms;

/** Key lifecycle states, common to every provider. */
public enum KeyState {
    /** Usable for wrapping and unwrapping. */
    ENABLED,
    /** Kept, but refuses every use until enabled again. */
    DISABLED,
    /** Refuses every use; will be destroyed at its deletion date unless the deletion is cancelled. */
    PENDING_DELETION,
    /** Gone for good: nothing wrapped under it can ever be unwrapped again. */
    DESTROYED
}
