# Sourced by scripts/compare-dovecot.sh and scripts/compare-search-dovecot.sh: a throwaway
# Dovecot for one user `roost` (password `secret`, maildir DIR/mail/roost owned by nobody once
# the caller has filled it), plaintext IMAP on 127.0.0.1:PORT only, everything under DIR.
#
#   throwaway_dovecot_config DIR PORT INSTANCE-NAME   # writes DIR/users and DIR/dovecot.conf
throwaway_dovecot_config() {
  local dir="$1" port="$2" name="$3"
  mkdir -p "$dir/mail/roost/new" "$dir/mail/roost/cur" "$dir/mail/roost/tmp" "$dir/run" "$dir/state"
  echo "roost:{PLAIN}secret:65534:65534::$dir/mail/roost" > "$dir/users"
  chmod 0644 "$dir/users"
  cat > "$dir/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = $name
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = $dir/dovecot.log
mail_location = maildir:$dir/mail/roost
first_valid_uid = 1
mail_uid = nobody
mail_gid = nogroup
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
EOF
}
