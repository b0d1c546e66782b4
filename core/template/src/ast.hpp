#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rmlx/template/error.hpp"
#include "rmlx/template/value.hpp"

namespace rmlx::tmpl::detail {

struct Pos {
  int line = 1;
  int column = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Literal,   // value
  Name,      // name
  List,      // items
  Tuple,     // items
  Dict,      // items: key0, value0, key1, value1, ...
  Getattr,   // items[0] . name
  Getitem,   // items[0] [ items[1] ]
  Slice,     // items: start, stop, step (each may be null)
  Call,      // items[0] ( items[1..] , kwargs, dyn_args, dyn_kwargs )
  Filter,    // items[0] | name ( items[1..], kwargs ); items[0] null inside filter blocks
  Test,      // items[0] is [not] name ( items[1..], kwargs )
  Not,       // items[0]
  Neg,       // items[0]
  Pos,       // items[0]
  Binary,    // items[0] op items[1]: + - * / // % **
  Concat,    // items joined with ~
  Compare,   // items[0] ops[i] items[i+1] ...
  And,       // items[0] and items[1]
  Or,        // items[0] or items[1]
  CondExpr,  // items[1] if items[0] else items[2] (items[2] may be null)
};

struct Expr {
  ExprKind kind;
  Pos pos;
  Value value;           // Literal
  std::string name;      // Name, Getattr, Filter, Test, Binary op
  bool negated = false;  // Test
  std::vector<ExprPtr> items;
  std::vector<std::string> ops;  // Compare
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  ExprPtr dyn_args;
  ExprPtr dyn_kwargs;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  Text,         // text
  Output,       // expr
  If,           // conds[i] -> bodies[i]; else_body
  For,          // targets in expr [if cond] body else_body
  Set,          // targets / (ns_name.attr) = expr
  SetBlock,     // targets[0] = body piped through filters
  Macro,        // name(params=defaults) body
  CallBlock,    // expr is the call; params are caller()'s parameters
  FilterBlock,  // filters applied to body
  With,         // targets = values; body
  Break,
  Continue,
};

struct Stmt {
  StmtKind kind;
  Pos pos;
  std::string text;            // Text; Macro name; Set namespace attribute
  ExprPtr expr;                // Output / For iterable / Set value / CallBlock call
  ExprPtr cond;                // For filter
  std::vector<ExprPtr> conds;  // If
  std::vector<Body> bodies;    // If
  Body body;
  Body else_body;
  std::vector<std::string> targets;  // For / Set / SetBlock / With names
  bool target_is_tuple = false;      // For / Set unpacking
  std::string ns_name;               // Set: `set ns_name.text = ...`
  std::vector<ExprPtr> filters;      // SetBlock / FilterBlock: Filter exprs with null input
  std::vector<std::string> params;   // Macro / CallBlock
  std::vector<ExprPtr> defaults;     // Macro / CallBlock (null = required); With values
  bool uses_varargs = false;         // Macro / CallBlock body reads `varargs`
  bool uses_kwargs = false;          // Macro / CallBlock body reads `kwargs`
  bool uses_caller = false;          // Macro body reads `caller`
  // Names the body assigns outside any `if`: jinja2 treats them as locals of the body's scope,
  // so nested scopes that read them before the assignment see them undefined.
  std::vector<std::string> declared;
};

struct ProgramData {
  Body body;
  std::vector<std::string> declared;  // as Stmt::declared, for the template's top level
};

}  // namespace rmlx::tmpl::detail
