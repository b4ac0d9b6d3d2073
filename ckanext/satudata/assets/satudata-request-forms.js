/* The Walidata's Table Schema form (data request step 4): rows of the column
 * table can be added, moved and removed, and one of "column table" and "raw
 * JSON" is shown. The form works without it (the server renders blank rows and
 * both parts); the server builds the schema from the posted rows.
 *
 * Options (data-module-*): add, up, down, remove - the buttons' labels.
 */
this.ckan.module('satudata-table-schema', function ($) {
  return {
    options: {add: 'Add a column', up: 'Up', down: 'Down', remove: 'Remove'},

    initialize: function () {
      $.proxyAll(this, /_on/);
      this.rows = this.el.find('[data-rows]');
      this.el.find('[data-mode-choice]').on('change', this._onMode);
      this._showMode();
      var add = $('<button type="button" class="btn btn-secondary btn-sm" data-action="add-column"></button>')
        .text(this.options.add).on('click', this._onAdd);
      this.el.find('.satudata-format-tools').append(add);
      var self = this;
      this.rows.find('[data-row]').each(function (_, row) { self._tools(row); });
      this.rows.on('click', '[data-row-action]', this._onRowAction);
      this.rows.on('input change', this._onEdit);
    },

    /* the JSON is not rewritten from the table: say so when the table was edited */
    _onEdit: function () { this.edited = true; },

    _showMode: function () {
      var mode = this.el.find('[data-mode-choice]:checked').val() || 'columns';
      this.el.attr('data-mode', mode);
      this.el.find('[data-mode-part]').each(function () {
        $(this).prop('hidden', $(this).attr('data-mode-part') !== mode);
      });
    },

    _onMode: function () {
      this._showMode();
      this.el.find('[data-json-note]').prop('hidden', !(this.edited && this.el.attr('data-mode') === 'json'));
    },

    _tools: function (row) {
      var cell = $(row).find('.satudata-format-row-tools').empty();
      var options = this.options;
      var symbols = {up: '\u2191', down: '\u2193', remove: '\u00d7'};
      $.each(['up', 'down', 'remove'], function (_, action) {
        $('<button type="button" class="btn btn-outline-secondary btn-sm"></button>')
          .attr({'data-row-action': action, 'title': options[action], 'aria-label': options[action]})
          .text(symbols[action]).appendTo(cell);
      });
    },

    _onAdd: function () {
      var row = this.rows.find('[data-row]').last().clone();
      row.removeClass('satudata-format-row--error');
      row.find('.error-block').remove();
      row.find('.is-invalid').removeClass('is-invalid').removeAttr('aria-invalid');
      row.find('input[type=text], input[type=hidden]').val('');
      row.find('input[type=checkbox]').prop('checked', false);
      row.find('select[data-column=type]').val('string');
      this.rows.append(row);
      this._renumber();
      row.find('[data-column=name]').trigger('focus');
    },

    _onRowAction: function (event) {
      var row = $(event.currentTarget).closest('[data-row]');
      var action = $(event.currentTarget).attr('data-row-action');
      if (action === 'up') {
        row.prev('[data-row]').before(row);
      } else if (action === 'down') {
        row.next('[data-row]').after(row);
      } else if (this.rows.find('[data-row]').length > 1) {
        row.remove();
      } else {  // the last row is emptied, not removed
        row.find('input[type=text], input[type=hidden]').val('');
        row.find('input[type=checkbox]').prop('checked', false);
      }
      this._renumber();
      this.edited = true;
    },

    /* fields__<n>__<column> follow the rows' order on the page */
    _renumber: function () {
      this.rows.find('[data-row]').each(function (n, row) {
        $(row).find('[data-column]').each(function () {
          $(this).attr('name', 'fields__' + n + '__' + $(this).attr('data-column'));
        });
      });
    }
  };
});
