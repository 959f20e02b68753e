// Progressive enhancement: show only the fieldsets of the chosen contract type (for a hybrid,
// of the ticked components). Without JavaScript every fieldset shows and the server reads
// only the chosen ones.
(function () {
  var form = document.querySelector('[data-testid="terms-form"]');
  var type = form.querySelector('select[name="contract_type"]');
  function update() {
    var ticked = {};
    form.querySelectorAll('[data-hybrid-component]').forEach(function (box) { ticked[box.value] = box.checked; });
    form.querySelectorAll('[data-terms-types]').forEach(function (set) {
      var kinds = set.getAttribute('data-terms-types').split(' ');
      var component = set.getAttribute('data-component');
      var show = kinds.indexOf(type.value) >= 0 && (type.value !== 'hybrid' || !component || ticked[component]);
      set.hidden = !show;
    });
  }
  // A row's blank unit option names the standard unit of the carrier chosen in that row.
  var units = JSON.parse(form.getAttribute('data-standard-units'));
  var standard = form.getAttribute('data-standard-unit-label');
  form.addEventListener('change', function (event) {
    var name = event.target.name || '';
    var unit = /-carrier$/.test(name) && form.querySelector('select[name="' + name.replace(/-carrier$/, '-unit') + '"]');
    if (unit) {
      var symbol = units[event.target.value];
      unit.options[0].text = standard + (symbol ? ' (' + symbol + ')' : '');
    }
  });
  form.addEventListener('change', update);
  update();
})();
