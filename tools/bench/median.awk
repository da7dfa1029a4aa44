# med(s): the median of the space-separated numbers in s (the mean of the
# middle two for an even count). The bench scripts load it with
# `awk -f median.awk -f /dev/stdin FILE <<PROGRAM` next to their own program.
function med(s,   a, n, i, j, t) {
  n = split(s, a, " ");
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
}
