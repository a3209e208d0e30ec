// @generated-style schema kept in step with migrations/ (diesel print-schema layout).

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        session_generation -> BigInt,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    memberships (project_id, account_id) {
        project_id -> Text,
        account_id -> Text,
        role -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> Text,
        project_id -> Text,
        name -> Text,
        role -> Text,
        digest -> Binary,
        hint -> Text,
        description -> Nullable<Text>,
        created_at -> BigInt,
        created_by_account_id -> Nullable<Text>,
        issuer_name -> Text,
        expires_at -> Nullable<BigInt>,
        lifetime_secs -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        last_used_ips -> Text,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Text>,
        deleted_via -> Nullable<Text>,
        label_selector -> Nullable<Text>,
    }
}

diesel::table! {
    registration_tokens (id) {
        id -> Text,
        project_id -> Text,
        digest -> Binary,
        client_name -> Text,
        token_type -> Text,
        refresh_ttl_secs -> Nullable<BigInt>,
        expires_at -> BigInt,
        created_at -> BigInt,
        created_by_token_id -> Nullable<Text>,
        issuer_account_id -> Nullable<Text>,
        issuer_name -> Text,
        used_at -> Nullable<BigInt>,
        used_token_id -> Nullable<Text>,
        label_selector -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        project_id -> Nullable<Text>,
        account_id -> Nullable<Text>,
        event -> Text,
        actor -> Text,
        target -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        detail -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Active tokens per project, maintained by triggers (migration `token_listing`); read, never written.
    active_token_counts (project_id) {
        project_id -> Text,
        active -> BigInt,
    }
}

diesel::table! {
    /// Sessions ended by Log out, until their cookie would have lapsed (see `auth::ended_sessions`).
    ended_sessions (sid_digest) {
        sid_digest -> Binary,
        until -> BigInt,
    }
}

diesel::table! {
    /// Counted attempts of the request limits (see `db::limits`).
    limit_events (id) {
        id -> BigInt,
        key -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    /// Invitations to a project (SPEC §11); only digests of their values.
    invitations (id) {
        id -> Text,
        project_id -> Text,
        email -> Text,
        role -> Text,
        digest -> Binary,
        invited_by -> Text,
        invited_by_account_id -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        accepted_at -> Nullable<BigInt>,
        accepted_account_id -> Nullable<Text>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(memberships -> accounts (account_id));
diesel::joinable!(invitations -> projects (project_id));
diesel::joinable!(memberships -> projects (project_id));
diesel::joinable!(access_tokens -> projects (project_id));
diesel::joinable!(registration_tokens -> projects (project_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    projects,
    memberships,
    access_tokens,
    registration_tokens,
    audit_events,
    invitations,
);
